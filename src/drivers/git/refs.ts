// Moving a branch in-process as git's files backend does (`git update-ref NEW OLD`): a `.lock` file taken
// exclusively, the current value checked, the new one written, the reflog appended, the lock renamed into place.
import { appendFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CommitAuthor } from './types.js';

/** Why an in-process ref update did not happen; the caller then lets git do it, or reports it. */
export type RefUpdateOutcome =
  | { ok: true }
  | { ok: false; reason: 'moved'; current: string }
  | { ok: false; reason: 'locked' | 'unsupported' };

/** The repository's config as git's files backend needs it: whether HIY may move refs itself, and reflogs. */
async function refConfig(gitdir: string): Promise<{ supported: boolean; logAll: boolean } | undefined> {
  const text = await readFile(join(gitdir, 'config'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lower = text.toLowerCase();
  // Another ref storage (reftable) or per-worktree config: git moves the ref.
  if (/refstorage|worktreeconfig/.test(lower)) return { supported: false, logAll: false };
  const bare = /^\s*bare\s*=\s*true\s*$/m.test(lower);
  const setting = /^\s*logallrefupdates\s*=\s*(\S+)\s*$/m.exec(lower)?.[1];
  const logAll = setting === undefined ? !bare : setting === 'true' || setting === 'always';
  return { supported: true, logAll };
}

/** The value of `ref` as git reads it: its loose file, else its line in packed-refs; '' when it does not exist. */
async function readRef(gitdir: string, ref: string): Promise<string | undefined> {
  const loose = await readFile(join(gitdir, ref), 'utf8').catch(() => undefined);
  if (loose !== undefined) return /^[0-9a-f]{40}\n?$/.test(loose) ? loose.trim() : undefined;
  const packed = await readFile(join(gitdir, 'packed-refs'), 'utf8').catch(() => '');
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
  const config = await refConfig(gitdir);
  if (!config?.supported || !ref.startsWith('refs/heads/')) return { ok: false, reason: 'unsupported' };
  const path = join(gitdir, ref);
  const lock = `${path}.lock`;
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(lock, 'wx', 0o644).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dirname(path), { recursive: true }); // a branch in a directory of its own (`a/b`)
      return open(lock, 'wx', 0o644);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { ok: false, reason: 'locked' };
    throw err;
  }
  let renamed = false;
  try {
    try {
      const current = await readRef(gitdir, ref);
      if (current === undefined) return { ok: false, reason: 'unsupported' };
      if (current !== opts.expected) return { ok: false, reason: 'moved', current };
      await fh.writeFile(`${opts.next}\n`);
    } finally {
      await fh.close();
    }
    const line = `${opts.expected} ${opts.next} ${identityLine(opts.who, new Date())}\t${opts.message.split('\n')[0]}\n`;
    const logs = [join(gitdir, 'logs', ref), ...(opts.headToo ? [join(gitdir, 'logs', 'HEAD')] : [])];
    for (const log of logs) {
      const exists = await stat(log).then(
        () => true,
        () => false,
      );
      if (!exists && !config.logAll) continue;
      await mkdir(dirname(log), { recursive: true });
      await appendFile(log, line);
    }
    await rename(lock, path);
    renamed = true;
    return { ok: true };
  } finally {
    if (!renamed) await rm(lock, { force: true });
  }
}
