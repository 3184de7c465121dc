// GitReader backed by isomorphic-git: reads branches, trees and blobs of local repositories (working copy or bare).

import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { errorMessage } from '../../model/errors.js';
import { GitError, type GitReader, type SkippedEntry, type TreeFile } from './types.js';

/** Reads local repositories without a working copy; every read goes through the object database. */
export class IsomorphicGitReader implements GitReader {
  /**
   * Decoded text of blobs read through readText, by blob id. Blob ids are content hashes, so an entry never
   * goes stale; the loader prunes ids no longer in the state repo (see loadDesiredState's `blobTexts`).
   */
  readonly blobTexts = new Map<string, string>();
  /** isomorphic-git's own cache of parsed packfiles, shared across calls. */
  private readonly packCache: object = {};
  private readonly gitdirs = new Map<string, Promise<string>>();

  async resolveBranch(dir: string, branch: string): Promise<string> {
    const gitdir = await this.gitdir(dir);
    try {
      return await git.resolveRef({ fs, gitdir, ref: `refs/heads/${branch}` });
    } catch (err) {
      if (isNotFound(err)) {
        throw new GitError(
          `git repository ${dir} has no branch ${branch}`,
          { dir, ref: branch, reason: 'no-branch' },
          { cause: err },
        );
      }
      throw new GitError(
        `cannot read branch ${branch} of ${dir}: ${errorMessage(err)}`,
        { dir, ref: branch },
        { cause: err },
      );
    }
  }

  async listFiles(dir: string, commit: string, skipped?: SkippedEntry[]): Promise<TreeFile[]> {
    const gitdir = await this.gitdir(dir);
    const out: TreeFile[] = [];
    const walk = async (treeOid: string, prefix: string): Promise<void> => {
      const { tree } = await git.readTree({ fs, gitdir, oid: treeOid, cache: this.packCache });
      for (const entry of tree) {
        const p = prefix ? `${prefix}/${entry.path}` : entry.path;
        if (entry.type === 'tree') await walk(entry.oid, p);
        // Symlinks (120000) are blobs too, but their content is a link target, not a file to read.
        else if (entry.type === 'blob' && entry.mode !== '120000') out.push({ path: p, oid: entry.oid });
        else if (entry.type === 'blob') skipped?.push({ path: p, kind: 'symlink' });
        // 'commit' entries are submodules: not part of this repository's files.
        else if (entry.type === 'commit') skipped?.push({ path: p, kind: 'submodule' });
      }
    };
    try {
      await walk(commit, '');
    } catch (err) {
      throw new GitError(
        `cannot list files of ${dir} at ${commit}: ${errorMessage(err)}`,
        { dir, ref: commit },
        { cause: err },
      );
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async readBlob(dir: string, oid: string): Promise<Uint8Array> {
    const gitdir = await this.gitdir(dir);
    try {
      const { blob } = await git.readBlob({ fs, gitdir, oid, cache: this.packCache });
      return blob;
    } catch (err) {
      throw new GitError(
        `cannot read blob ${oid} of ${dir}: ${errorMessage(err)}`,
        { dir, ref: oid },
        { cause: err },
      );
    }
  }

  /** A blob as UTF-8 text, from blobTexts when it was read before. */
  async readText(dir: string, oid: string): Promise<string> {
    const cached = this.blobTexts.get(oid);
    if (cached !== undefined) return cached;
    const text = new TextDecoder().decode(await this.readBlob(dir, oid));
    this.blobTexts.set(oid, text);
    return text;
  }

  /** The git directory of a working copy (`dir/.git`) or of a bare repository (`dir` itself). */
  private gitdir(dir: string): Promise<string> {
    let found = this.gitdirs.get(dir);
    if (!found) {
      found = findGitdir(dir);
      // Failures are not cached: the repository may be created later (e.g. a first push).
      found.catch(() => this.gitdirs.delete(dir));
      this.gitdirs.set(dir, found);
    }
    return found;
  }
}

async function findGitdir(dir: string): Promise<string> {
  const dotGit = path.join(dir, '.git');
  const st = await fs.promises.stat(dotGit).catch(() => undefined);
  if (st?.isDirectory()) return dotGit;
  if (st?.isFile()) {
    // A `.git` file (linked worktree, submodule) holds `gitdir: PATH`.
    const m = /^gitdir:\s*(.+)$/m.exec(await fs.promises.readFile(dotGit, 'utf8'));
    if (m) return path.resolve(dir, m[1]!.trim());
  }
  const [head, objects] = await Promise.all([
    fs.promises.stat(path.join(dir, 'HEAD')).catch(() => undefined),
    fs.promises.stat(path.join(dir, 'objects')).catch(() => undefined),
  ]);
  if (head?.isFile() && objects?.isDirectory()) return dir;
  throw new GitError(`not a git repository: ${dir}`, { dir, reason: 'not-a-repository' });
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'NotFoundError';
}
