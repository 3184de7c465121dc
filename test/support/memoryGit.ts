// A state repo in memory behind the GitReader interface, for unit tests of the engine on fake drivers.
import { createHash } from 'node:crypto';
import { GitError, type GitReader, type TreeFile } from '../../src/drivers/git/types.js';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** One branch whose head is the files last committed; commit ids are hashes of the whole tree. */
export class MemoryGit implements GitReader {
  private files: Record<string, string> = {};
  private head = '';
  private readonly blobs = new Map<string, string>();

  constructor(
    readonly dir: string,
    readonly branch = 'main',
  ) {}

  /** Replaces the tree with `files` (path → YAML text) and moves the branch to it; returns the commit id. */
  commit(files: Record<string, string>): string {
    this.files = { ...files };
    for (const text of Object.values(files)) this.blobs.set(sha1(text), text);
    this.head = sha1(JSON.stringify(Object.entries(this.files).sort()));
    return this.head;
  }

  async resolveBranch(dir: string, branch: string): Promise<string> {
    if (dir !== this.dir || branch !== this.branch || !this.head)
      throw new GitError(`no branch ${branch} in ${dir}`, { dir, ref: branch });
    return this.head;
  }

  async listFiles(dir: string, commit: string): Promise<TreeFile[]> {
    if (dir !== this.dir || commit !== this.head)
      throw new GitError(`no commit ${commit} in ${dir}`, { dir, ref: commit });
    return Object.entries(this.files).map(([path, text]) => ({ path, oid: sha1(text) }));
  }

  async readBlob(dir: string, oid: string): Promise<Uint8Array> {
    const text = this.blobs.get(oid);
    if (dir !== this.dir || text === undefined) throw new GitError(`no blob ${oid} in ${dir}`, { dir });
    return new TextEncoder().encode(text);
  }
}
