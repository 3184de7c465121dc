// The host side of the ssh account: the system user, its directories, and sudoers checked by visudo before it is
// installed. Root mode needs root; rootless mode only the user's own directories.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

export interface SystemAccount {
  user: string;
  uid: number;
  home: string;
  shell: string;
}

/** The account from the passwd database (getent: files, LDAP, …), or undefined. */
export async function lookupAccount(user: string): Promise<SystemAccount | undefined> {
  const r = await execa('getent', ['passwd', user], { reject: false });
  if (r.exitCode !== 0) return undefined;
  const [name, , uid, , , home, shell] = String(r.stdout).trim().split(':');
  return { user: name ?? user, uid: Number(uid), home: home ?? '', shell: shell ?? '' };
}

/**
 * `useradd --system`: no password that can log in (`*`, which sshd does not treat as locked), /bin/sh as
 * shell (sshd runs forced commands through it; dash reads no start-up files), its own group, no home created.
 */
export async function createSystemAccount(user: string, home: string): Promise<void> {
  const r = await execa(
    'useradd',
    [
      '--system',
      '--user-group',
      '--shell',
      '/bin/sh',
      '--home-dir',
      home,
      '--no-create-home',
      '--password',
      '*',
      user,
    ],
    { reject: false },
  );
  if (r.exitCode !== 0) throw new Error(`useradd ${user} failed: ${String(r.stderr).trim() || r.exitCode}`);
}

/** The first of the paths that exists and is executable, e.g. sudo in /usr/bin. */
export function findProgram(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Checks a sudoers text with `visudo -cf`; returns visudo's complaint, or undefined when it parses. */
export async function checkSudoers(text: string): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'hiy-sudoers-'));
  try {
    const file = join(dir, 'sudoers');
    // A scratch copy for visudo in a fresh directory, removed below: not a file HIY keeps, so a plain write
    // (drivers import no store; the kept sudoers file is written with writeFileAtomic by hiy ssh-account).
    await writeFile(file, text, { mode: 0o440 });
    const r = await execa('visudo', ['-c', '-q', '-f', file], { reject: false });
    return r.exitCode === 0
      ? undefined
      : `${String(r.stdout)}${String(r.stderr)}`.trim() || 'visudo refused it';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A directory owned by root with `mode` (created if missing; an existing one gets the mode). */
export async function rootDirectory(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
  await chmod(path, mode);
}

/**
 * Creates `path` and its missing parents with `mode` (owned by this process's user) and returns the
 * directories it created, outermost first; an existing `path` is left as it is.
 */
export async function ownDirectories(path: string, mode: number): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = path; !existsSync(dir) && dirname(dir) !== dir; dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) {
    await mkdir(dir, { mode });
    await chmod(dir, mode);
  }
  return missing;
}

/** Removes each directory that is empty, innermost first; one that is not empty or gone is left alone. */
export async function removeEmptyDirectories(dirs: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of [...dirs].reverse()) {
    const ok = await rmdir(dir).then(
      () => true,
      () => false,
    );
    if (ok) removed.push(dir);
  }
  return removed;
}

/**
 * Why sshd's StrictModes would ignore keys under `dir` for the user `uid` (a directory from `dir` up to `home`
 * not owned by the user or root, or writable by group or others), or undefined. Missing directories are fine:
 * they are created with mode 700.
 */
export async function strictModesProblem(
  dir: string,
  home: string,
  uid: number,
): Promise<string | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    const s = await stat(d).catch(() => undefined);
    if (s && ((s.uid !== uid && s.uid !== 0) || (s.mode & 0o022) !== 0)) {
      return `${d} is ${s.uid !== uid && s.uid !== 0 ? `owned by uid ${s.uid}` : 'writable by group or others'}: sshd (StrictModes) ignores keys below it`;
    }
    if (d === home || dirname(d) === d) return undefined;
  }
}
