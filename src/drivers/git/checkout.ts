// Exports the tree of one commit into a directory (with file modes), for builds: `git archive | tar -x`.

import { mkdir } from 'node:fs/promises';
import { execa } from 'execa';
import { errorMessage } from '../../model/errors.js';
import { GitError, type TreeFile } from './types.js';

/**
 * Writes the files of `commit` in the repository at `gitDir` (bare or working copy) into `dest`. `env` is for
 * a push being received, whose objects git keeps in a quarantine directory named by GIT_OBJECT_DIRECTORY.
 */
export async function exportCommit(
  gitDir: string,
  commit: string,
  dest: string,
  env?: Record<string, string>,
): Promise<void> {
  await mkdir(dest, { recursive: true });
  try {
    const archive = execa('git', ['-C', gitDir, 'archive', '--format=tar', commit], {
      stdout: 'pipe',
      stderr: 'pipe',
      encoding: 'buffer',
      ...(env ? { env } : {}),
    });
    const tar = execa('tar', ['-x', '-C', dest], { stdin: 'pipe', stderr: 'pipe' });
    archive.stdout?.pipe(tar.stdin!);
    await Promise.all([archive, tar]);
  } catch (err) {
    const raw = (err as { stderr?: unknown }).stderr;
    const stderr = raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : raw;
    throw new GitError(
      `cannot export ${commit.slice(0, 12)} of ${gitDir}: ${String(stderr ?? errorMessage(err)).trim()}`,
      { dir: gitDir, ref: commit },
      { cause: err },
    );
  }
}

/**
 * Every file (blob) in the tree of `commit`, with git itself: for a push being received, whose objects only git
 * with the hook's variables (`env`) can read. Symlinks and submodules are left out, as GitReader.listFiles does.
 */
export async function listCommitFiles(
  gitDir: string,
  commit: string,
  env?: Record<string, string>,
): Promise<TreeFile[]> {
  try {
    const r = await execa('git', ['-C', gitDir, 'ls-tree', '-r', '-z', '--full-tree', commit], {
      ...(env ? { env } : {}),
    });
    return r.stdout
      .split('\0')
      .filter((line) => line !== '')
      .map((line) => {
        const [meta, path] = [line.slice(0, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)];
        const [mode, type, oid] = meta.split(' ');
        return { mode, type, oid: oid!, path };
      })
      .filter((e) => e.type === 'blob' && e.mode !== '120000')
      .map(({ path, oid }) => ({ path, oid }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  } catch (err) {
    throw new GitError(`cannot list files of ${gitDir} at ${commit}: ${errorMessage(err)}`, {
      dir: gitDir,
      ref: commit,
    });
  }
}
