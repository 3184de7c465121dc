// Moving a branch in-process as git's files backend does (`git update-ref NEW OLD`): a `.lock` file taken
// exclusively, the current value checked, the new one written, the reflog appended, the lock renamed into place.
// Synchronous, as git is: a few small files, each faster than a round trip to the thread pool.
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { CommitAuthor } from './types.js';

/** Why an in-process ref update did not happen; the caller then lets git do it, or reports it. */
export type RefUpdateOutcome =
  | { ok: true }
  | { ok: false; reason: 'moved'; current: string }
  | { ok: false; reason: 'locked' | 'unsupported' };

/** The repository's config as git's files backend needs it: whether HIY may move refs itself, and reflogs. */
function refConfig(gitdir: string): { supported: boolean; logAll: boolean } | undefined {
  const text = readOptional(join(gitdir, 'config'));
  if (text === undefined) return undefined;
  const lower = text.toLowerCase();
  // Another ref storage (reftable) or per-worktree config: git moves the ref.
  if (/refstorage|worktreeconfig/.test(lower)) return { supported: false, logAll: false };
  const bare = /^\s*bare\s*=\s*true\s*$/m.test(lower);
  const setting = /^\s*logallrefupdates\s*=\s*(\S+)\s*$/m.exec(lower)?.[1];
  const logAll = setting === undefined ? !bare : setting === 'true' || setting === 'always';
  return { supported: true, logAll };
}

/** A file's text, or undefined when it does not exist. */
function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The value of `ref` as git reads it: its loose file, else its line in packed-refs; '' when it does not exist. */
function readRef(gitdir: string, ref: string): string | undefined {
  const loose = readOptional(join(gitdir, ref));
  if (loose !== undefined) return /^[0-9a-f]{40}\n?$/.test(loose) ? loose.trim() : undefined;
  const packed = readOptional(join(gitdir, 'packed-refs')) ?? '';
  const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`) && !l.startsWith('#'));
  return line ? line.slice(0, line.indexOf(' ')) : '';
}

/** `Name <email> EPOCH +HHMM`, as git writes an identity line. */
export function identityLine(who: CommitAuthor, now: Date): string {
  const offset = -now.getTimezoneOffset();
  const abs = Math.abs(offset);
  const tz = `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  const clean = (s: string) => s.replace(/[<>\n]/g, '').trim();
  return `${clean(who.name)} <${clean(who.email)}> ${Math.floor(now.getTime() / 1000)} ${tz}`;
}

/**
 * Moves `ref` (`refs/heads/NAME`) from `expected` to `next` if it is still at `expected`, as `git update-ref`
 * does with the files backend: `ref.lock` is created exclusively (a git running at the same time fails to
 * take it, or this does: `locked`), the value is checked under the lock (`moved`), written (not fsynced, as
 * git's default `core.fsync` does not sync references), the
 * reflog lines are appended (the branch's, and HEAD's when `headToo`), then the lock is renamed over the ref.
 * `unsupported` when the repository keeps refs in another way: git must do it.
 */
export async function updateRef(opts: {
  gitdir: string;
  ref: string;
  next: string;
  expected: string;
  who: CommitAuthor;
  message: string;
  /** HEAD is a symbolic ref to `ref` (a working copy with the branch checked out): its reflog moves too. */
  headToo?: boolean;
}): Promise<RefUpdateOutcome> {
  const { gitdir, ref } = opts;
  const config = refConfig(gitdir);
  if (!config?.supported || !ref.startsWith('refs/heads/')) return { ok: false, reason: 'unsupported' };
  const path = join(gitdir, ref);
  const lock = `${path}.lock`;
  let fd: number;
  try {
    try {
      fd = openSync(lock, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dirname(path), { recursive: true }); // a branch in a directory of its own (`a/b`)
      fd = openSync(lock, 'wx', 0o644);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { ok: false, reason: 'locked' };
    throw err;
  }
  let renamed = false;
  try {
    try {
      const current = readRef(gitdir, ref);
      if (current === undefined) return { ok: false, reason: 'unsupported' };
      if (current !== opts.expected) return { ok: false, reason: 'moved', current };
      writeSync(fd, `${opts.next}\n`);
    } finally {
      closeSync(fd);
    }
    const line = `${opts.expected} ${opts.next} ${identityLine(opts.who, new Date())}\t${opts.message.split('\n')[0]}\n`;
    const logs = [join(gitdir, 'logs', ref), ...(opts.headToo ? [join(gitdir, 'logs', 'HEAD')] : [])];
    for (const log of logs) {
      if (!config.logAll && !existsSync(log)) continue;
      mkdirSync(dirname(log), { recursive: true });
      appendFileSync(log, line);
    }
    renameSync(lock, path);
    renamed = true;
    return { ok: true };
  } finally {
    if (!renamed) rmSync(lock, { force: true });
  }
}
