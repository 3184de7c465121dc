// Reading git repositories on the box (state repo, App sources) at a commit, without a working copy.
import { HiyError } from '../../model/errors.js';

/** A file in a commit's tree. */
/** Who a commit HIY writes is by (author and committer). */
export interface CommitAuthor {
  name: string;
  email: string;
}

export interface TreeFile {
  path: string;
  /** Blob id; equal ids mean equal content (used to cache parsed files). */
  oid: string;
}

/** Why a git read failed, when it is one a caller decides on. */
export type GitFailure = 'not-a-repository' | 'no-branch';

export class GitError extends HiyError<{ dir: string; ref?: string; reason?: GitFailure }> {
  constructor(
    message: string,
    data: { dir: string; ref?: string; reason?: GitFailure },
    options?: { cause?: unknown },
  ) {
    super('GIT_FAILED', message, { data, ...options });
    this.name = 'GitError';
  }
}

/** A tree entry listFiles leaves out: a symlink (its blob is a link target), or a submodule (another repository). */
export interface SkippedEntry {
  path: string;
  kind: 'symlink' | 'submodule';
}

/** Read-only access to local git repositories (working copies or bare). */
export interface GitReader {
  /** Full commit id at the head of a branch; throws GitError when the repo or branch does not exist. */
  resolveBranch(dir: string, branch: string): Promise<string>;
  /** Every file (blob) in the tree of a commit, recursively; symlinks and submodules go to `skipped` if given. */
  listFiles(dir: string, commit: string, skipped?: SkippedEntry[]): Promise<TreeFile[]>;
  readBlob(dir: string, oid: string): Promise<Uint8Array>;
}
