// Bare repositories with the git binary: mirrors of App sources (clone, fetch, has-commit) and hosted App repositories
// (init). No shell, no prompt; credentials are git's own business. node:child_process only: git-shell loads this.

import { spawn } from 'node:child_process';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HiyError } from '../../model/errors.js';

/** A git command failed; the message is the first line git printed on stderr (or the exit status). */
export class GitCommandError extends HiyError<{ args: string[]; exitCode: number | null; signal?: string }> {
  constructor(message: string, data: { args: string[]; exitCode: number | null; signal?: string }) {
    super('GIT_FAILED', message, { data });
    this.name = 'GitCommandError';
  }
}

/** Long enough for a first clone of a big repository over a slow link, short enough to never hang a daemon. */
const NETWORK_TIMEOUT_MS = 10 * 60_000;

/** Runs `git ARGS` with stdin closed and no terminal prompt; resolves with its exit code and the end of its stderr. */
function git(
  args: string[],
  timeoutMs?: number,
): Promise<{ exitCode: number | null; signal?: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      ...(timeoutMs ? { timeout: timeoutMs } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve({ exitCode, ...(signal ? { signal } : {}), stderr }));
  });
}

/** Runs git and throws a GitCommandError unless it exits 0. */
async function gitOk(args: string[], timeoutMs?: number): Promise<void> {
  const r = await git(args, timeoutMs);
  if (r.exitCode === 0) return;
  const line = r.stderr.split('\n').find((l) => l.trim());
  const why = r.signal
    ? `git ${args[0] === '-C' ? args[2] : args[0]} was stopped (${r.signal}${timeoutMs ? `, limit ${timeoutMs / 1000} s` : ''})`
    : (line ?? `exit ${r.exitCode}`);
  throw new GitCommandError(why, {
    args,
    exitCode: r.exitCode,
    ...(r.signal ? { signal: r.signal } : {}),
  });
}

/** `git clone --mirror URL` into a temporary directory renamed to `dir` when complete: never a half-made mirror. */
export async function cloneMirror(url: string, dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await gitOk(['clone', '--mirror', '--quiet', url, tmp], NETWORK_TIMEOUT_MS);
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Points an existing mirror at `url` and fetches it (`--prune`: branches deleted upstream go too). */
export async function updateMirror(dir: string, url: string): Promise<void> {
  await gitOk(['-C', dir, 'remote', 'set-url', 'origin', url]);
  await gitOk(['-C', dir, 'fetch', '--prune', 'origin'], NETWORK_TIMEOUT_MS);
}

/** True when the repository at `dir` holds the commit. */
export async function hasCommit(dir: string, commit: string): Promise<boolean> {
  return (await git(['-C', dir, 'cat-file', '-e', `${commit}^{commit}`])).exitCode === 0;
}

/** Creates an empty bare repository with HEAD on `branch` (an App's repository before its first push). */
export async function initBareRepo(gitDir: string, branch: string): Promise<void> {
  await mkdir(dirname(gitDir), { recursive: true });
  await gitOk(['init', '--bare', '--quiet', gitDir]);
  await gitOk(['-C', gitDir, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
}
