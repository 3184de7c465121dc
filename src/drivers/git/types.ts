// Reading git repositories on the box (state repo, App sources) at a commit, without a working copy.

/** A file in a commit's tree. */
export interface TreeFile {
  path: string;
  /** Blob id; equal ids mean equal content (used to cache parsed files). */
  oid: string;
}

export class GitError extends Error {
  readonly code = 'GIT_FAILED';
  constructor(
    message: string,
    readonly data: { dir: string; ref?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GitError';
  }
}

/** Read-only access to local git repositories (working copies or bare). */
export interface GitReader {
  /** Full commit id at the head of a branch; throws GitError when the repo or branch does not exist. */
  resolveBranch(dir: string, branch: string): Promise<string>;
  /** Every file (blob) in the tree of a commit, recursively. */
  listFiles(dir: string, commit: string): Promise<TreeFile[]>;
  readBlob(dir: string, oid: string): Promise<Uint8Array>;
}
