// Pure argv builders and output parsers for restic (0.14, Debian bookworm). The repository and password go in
// the environment (RESTIC_REPOSITORY, RESTIC_PASSWORD), never in argv: a rest:/s3: URL may hold credentials.
import type { ResticBackupSummary, ResticFailure, ResticKeep, ResticSnapshot } from './types.js';

/** Checks a tag: restic splits `--tag a,b` on commas. */
function tagArgs(tags: string[]): string[] {
  for (const t of tags)
    if (t.includes(',') || t === '') throw new Error(`invalid restic tag ${JSON.stringify(t)}`);
  return tags.length ? ['--tag', tags.join(',')] : [];
}

export const catConfigArgv = (): string[] => ['cat', 'config', '--no-lock'];

export const initArgv = (): string[] => ['init'];

/**
 * `restic backup` of a directory given as `.` from the directory itself (the runner sets cwd): restic records its
 * absolute path, and a backup of the same path has the previous one as its parent. A tree copied anew each time
 * (the box state) changes inode and ctime, so they are ignored and unchanged files (same size and mtime) are not
 * read again.
 */
export function backupArgv(opts: { host: string; tags: string[] }): string[] {
  return [
    'backup',
    '--json',
    '--host',
    opts.host,
    ...tagArgs(opts.tags),
    '--ignore-inode',
    '--ignore-ctime',
    '.',
  ];
}

export function snapshotsArgv(opts: { host?: string; tags?: string[] }): string[] {
  return ['snapshots', '--json', ...(opts.host ? ['--host', opts.host] : []), ...tagArgs(opts.tags ?? [])];
}

export function forgetArgv(opts: { tags: string[]; groupBy: string; keep: ResticKeep }): string[] {
  const keep: string[] = [];
  for (const k of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    const n = opts.keep[k];
    if (n !== undefined) keep.push(`--keep-${k}`, String(n));
  }
  if (keep.length === 0) throw new Error('forget needs at least one --keep rule');
  return ['forget', '--json', ...tagArgs(opts.tags), '--group-by', opts.groupBy, ...keep, '--prune'];
}

export const forgetIdsArgv = (ids: string[]): string[] => ['forget', '--prune', ...ids];

export const restoreArgv = (opts: { id: string; targetDir: string }): string[] => [
  'restore',
  opts.id,
  '--target',
  opts.targetDir,
];

export function checkArgv(opts: { readDataSubset?: string }): string[] {
  return ['check', ...(opts.readDataSubset ? [`--read-data-subset=${opts.readDataSubset}`] : [])];
}

/** The last `summary` line of `restic backup --json`. */
export function parseBackupSummary(stdout: string): ResticBackupSummary {
  for (const line of stdout.split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    const m = JSON.parse(line) as Record<string, unknown>;
    if (m.message_type !== 'summary') continue;
    const n = (k: string) => (typeof m[k] === 'number' ? (m[k] as number) : 0);
    return {
      snapshotId: String(m.snapshot_id ?? ''),
      filesNew: n('files_new'),
      filesChanged: n('files_changed'),
      filesUnmodified: n('files_unmodified'),
      dataAdded: n('data_added'),
      totalFiles: n('total_files_processed'),
      totalBytes: n('total_bytes_processed'),
      durationSeconds: n('total_duration'),
    };
  }
  throw new Error('restic backup printed no summary');
}

export function parseSnapshots(stdout: string): ResticSnapshot[] {
  const list = JSON.parse(stdout.trim() || '[]') as Record<string, unknown>[] | null;
  return (list ?? []).map((s) => ({
    id: String(s.id),
    shortId: String(s.short_id ?? String(s.id).slice(0, 8)),
    time: String(s.time),
    hostname: String(s.hostname ?? ''),
    paths: Array.isArray(s.paths) ? s.paths.map(String) : [],
    tags: Array.isArray(s.tags) ? s.tags.map(String) : [],
  }));
}

/** Ids removed by `restic forget --json`. */
export function parseForget(stdout: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith('['));
  if (!line) return [];
  const groups = JSON.parse(line) as { remove?: { id: string }[] | null }[];
  return groups.flatMap((g) => (g.remove ?? []).map((s) => s.id));
}

/** What restic's message (stderr) says went wrong; restic 0.14 exits 1 for nearly everything. */
export function classifyFailure(stderr: string, exitCode: number | undefined): ResticFailure {
  if (exitCode === 3) return 'incomplete';
  if (/wrong password or no key found/i.test(stderr)) return 'wrong-password';
  if (/unable to open config file|Is there a repository at the following location/i.test(stderr))
    return 'no-repository';
  if (/repository is already locked/i.test(stderr)) return 'locked';
  if (/no space left on device|disk quota exceeded/i.test(stderr)) return 'no-space';
  if (
    /connection refused|no route to host|network is unreachable|connection reset|ssh command exited|subprocess ssh|dial tcp|i\/o timeout|timeout|unable to start the sftp session|connection closed|no such host|Permission denied/i.test(
      stderr,
    )
  )
    return 'unreachable';
  if (
    /ciphertext verification failed|pack .* contains|invalid data returned|hash does not match|Fatal: repository contains errors|checksum mismatch/i.test(
      stderr,
    )
  )
    return 'corrupt';
  return 'failed';
}

/** A sentence for people, per failure. */
export function describeFailure(failure: ResticFailure): string {
  switch (failure) {
    case 'no-repository':
      return 'there is no restic repository at the target';
    case 'wrong-password':
      return "the password does not open the repository (wrong password, or the Backup's passwordSecret names another secret)";
    case 'unreachable':
      return 'the target cannot be reached';
    case 'locked':
      return 'the repository is locked by another restic process (restic unlock removes a stale lock)';
    case 'no-space':
      return 'the target is full';
    case 'corrupt':
      return 'the repository holds damaged data';
    case 'incomplete':
      return 'some files could not be read, so the backup is incomplete';
    case 'failed':
      return 'restic failed';
  }
}

/** The ssh endpoint of an `sftp:` repository, as restic reads `sftp:[user@]host:path` or `sftp://[user@]host[:port]/path`. */
export function sftpEndpoint(repository: string): { user?: string; host: string; port?: number } {
  let rest: string;
  let port: number | undefined;
  if (repository.startsWith('sftp://')) {
    const url = new URL(repository);
    if (url.port) port = Number(url.port);
    rest = `${decodeURIComponent(url.username)}${url.username ? '@' : ''}${url.hostname}`;
  } else if (repository.startsWith('sftp:')) {
    const body = repository.slice('sftp:'.length);
    const at = body.indexOf('@');
    const hostStart = at >= 0 ? at + 1 : 0;
    const end = body.startsWith('[', hostStart)
      ? body.indexOf(']', hostStart) + 1
      : body.indexOf(':', hostStart);
    rest = end > 0 ? body.slice(0, end) : body;
  } else throw new Error(`${repository} is not an sftp: repository`);
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : undefined;
  const host = (at >= 0 ? rest.slice(at + 1) : rest).replace(/^\[(.*)\]$/, '$1');
  // restic splits sftp.command like a shell: nothing that would need quoting may reach it.
  const safe = /^[A-Za-z0-9._:%+-]+$/;
  if (!safe.test(host) || (user !== undefined && !safe.test(user)))
    throw new Error(`the user and host of ${repository} cannot be passed to ssh`);
  return { ...(user && { user }), host, ...(port !== undefined && { port }) };
}

/**
 * `-o sftp.command=ssh …` for an sftp: repository: restic runs exactly this command (user and host included), so the
 * key, known_hosts file and port HIY was given reach ssh; BatchMode so ssh never waits for a prompt.
 */
export function sftpCommandArgv(opts: {
  repository: string;
  port?: number;
  identityFile?: string;
  knownHostsFile?: string;
}): string[] {
  const { user, host, port: urlPort } = sftpEndpoint(opts.repository);
  for (const f of [opts.identityFile, opts.knownHostsFile])
    if (f !== undefined && !/^[A-Za-z0-9/._+-]+$/.test(f)) throw new Error(`unsafe path for ssh: ${f}`);
  const port = opts.port ?? urlPort;
  const ssh = [
    'ssh',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=30',
    '-o',
    'ServerAliveInterval=30',
    ...(opts.identityFile ? ['-i', opts.identityFile, '-o', 'IdentitiesOnly=yes'] : []),
    ...(opts.knownHostsFile
      ? ['-o', `UserKnownHostsFile=${opts.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes']
      : []),
    ...(port !== undefined ? ['-p', String(port)] : []),
    ...(user ? ['-l', user] : []),
    host,
    '-s',
    'sftp',
  ];
  return ['-o', `sftp.command=${ssh.join(' ')}`];
}
