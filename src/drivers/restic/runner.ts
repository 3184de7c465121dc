// The real restic driver: runs the pure argv builders with execa (never a shell), the password in the environment.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ExternalCalls } from '../externalCalls.js';
import {
  backupArgv,
  catConfigArgv,
  checkArgv,
  classifyFailure,
  describeFailure,
  forgetArgv,
  forgetIdsArgv,
  initArgv,
  parseBackupSummary,
  parseForget,
  parseSnapshots,
  restoreArgv,
  sftpCommandArgv,
  snapshotsArgv,
} from './argv.js';
import {
  type ResticBackupSummary,
  type ResticDriver,
  ResticError,
  type ResticKeep,
  type ResticSnapshot,
  type ResticTarget,
} from './types.js';

export interface ResticCliOptions {
  /** The restic binary; default `restic` (on PATH). */
  binary?: string;
  /** Timeout of quick calls (snapshots, init, forget); default 5 min. */
  timeoutMs?: number;
  /** Timeout of backup, restore and check (they scale with the data); default 12 h. */
  transferTimeoutMs?: number;
  /** Counts every restic process started (the daemon's `hiy_external_calls_total{target="restic"}`). */
  externalCalls?: ExternalCalls;
}

interface Call {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Replaces every secret value of the target found in restic's messages. */
function masked(text: string, target: ResticTarget): string {
  let out = text;
  for (const secret of [
    target.password,
    ...Object.values(target.env ?? {}),
    ...(target.sftp?.identity ? [target.sftp.identity] : []),
    ...(target.hidden ?? []),
  ]) {
    if (secret.length >= 4) out = out.split(secret).join('********');
  }
  return out;
}

function lastLines(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('{'));
  return lines.slice(-3).join(' / ');
}

/**
 * The `-o sftp.command=…` of an sftp: target given a key, known hosts or a port: the key and known_hosts are
 * secrets, so they are written to a private temporary directory (0700, files 0600) removed after the call.
 */
async function sftpLogin(target: ResticTarget): Promise<{ argv: string[]; cleanup: () => Promise<void> }> {
  const sftp = target.sftp;
  const none = { argv: [], cleanup: async () => {} };
  if (!sftp || !target.repository.startsWith('sftp:')) return none;
  if (sftp.identity === undefined && sftp.knownHosts === undefined && sftp.port === undefined) return none;
  const dir = await mkdtemp(join(tmpdir(), 'hiy-restic-ssh-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    // ssh refuses a key file that does not end with a newline.
    const withNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
    const identityFile = sftp.identity === undefined ? undefined : join(dir, 'identity');
    const knownHostsFile = sftp.knownHosts === undefined ? undefined : join(dir, 'known_hosts');
    if (identityFile) await writeFile(identityFile, withNewline(sftp.identity!), { mode: 0o600 });
    if (knownHostsFile) await writeFile(knownHostsFile, withNewline(sftp.knownHosts!), { mode: 0o600 });
    const argv = sftpCommandArgv({
      repository: target.repository,
      ...(sftp.port !== undefined && { port: sftp.port }),
      ...(identityFile && { identityFile }),
      ...(knownHostsFile && { knownHostsFile }),
    });
    return { argv, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** {@link ResticDriver} over the restic CLI. */
export class ResticCli implements ResticDriver {
  private readonly binary: string;
  private readonly timeoutMs: number;
  private readonly transferTimeoutMs: number;
  private readonly externalCalls: ExternalCalls | undefined;

  constructor(options: ResticCliOptions = {}) {
    this.externalCalls = options.externalCalls;
    this.binary = options.binary ?? 'restic';
    this.timeoutMs = options.timeoutMs ?? 5 * 60_000;
    this.transferTimeoutMs = options.transferTimeoutMs ?? 12 * 3600_000;
  }

  private async call(
    target: ResticTarget,
    argv: string[],
    opts: { cwd?: string; long?: boolean; okExitCodes?: number[]; onLine?: (line: string) => void } = {},
  ): Promise<Call> {
    const operation = `restic ${argv[0]}`;
    const sftp = await sftpLogin(target);
    try {
      return await this.run(target, [...sftp.argv, ...argv], operation, opts);
    } finally {
      await sftp.cleanup();
    }
  }

  private async run(
    target: ResticTarget,
    argv: string[],
    operation: string,
    opts: { cwd?: string; long?: boolean; okExitCodes?: number[]; onLine?: (line: string) => void },
  ): Promise<Call> {
    this.externalCalls?.count('restic');
    const child = execa(this.binary, argv, {
      reject: false,
      ...(opts.cwd !== undefined && { cwd: opts.cwd }),
      timeout: opts.long ? this.transferTimeoutMs : this.timeoutMs,
      // Secrets through the environment only; restic's own cache and config stay out of a test's way.
      env: {
        ...target.env,
        RESTIC_REPOSITORY: target.repository,
        RESTIC_PASSWORD: target.password,
        RESTIC_PROGRESS_FPS: '0.2',
      },
      extendEnv: true,
      stdin: 'ignore',
      ...(opts.onLine && {
        stdout: [
          function* (line: unknown) {
            opts.onLine?.(String(line));
            yield line;
          },
        ],
      }),
    });
    const r = await child;
    const exitCode = r.exitCode ?? -1;
    const stderr = masked(String(r.stderr ?? ''), target);
    if (r.timedOut) {
      throw new ResticError(`${operation} timed out`, { operation, failure: 'unreachable' });
    }
    if (exitCode !== 0 && !(opts.okExitCodes ?? []).includes(exitCode)) {
      const failure = classifyFailure(stderr, exitCode);
      const detail =
        lastLines(stderr) || (r.failed && r.exitCode === undefined ? String(r.shortMessage) : '');
      throw new ResticError(
        `${operation} failed: ${describeFailure(failure)}${detail ? ` (${detail})` : ''}`,
        { operation, failure, exitCode },
      );
    }
    return { stdout: String(r.stdout ?? ''), stderr, exitCode };
  }

  async exists(target: ResticTarget): Promise<boolean> {
    try {
      await this.call(target, catConfigArgv());
      return true;
    } catch (err) {
      if (err instanceof ResticError && err.data.failure === 'no-repository') return false;
      throw err;
    }
  }

  async init(target: ResticTarget): Promise<void> {
    await this.call(target, initArgv());
  }

  async backup(
    target: ResticTarget,
    opts: { dir: string; host: string; tags: string[]; onProgress?: (line: string) => void },
  ): Promise<ResticBackupSummary> {
    const argv = backupArgv({ host: opts.host, tags: opts.tags });
    const r = await this.call(target, argv, {
      cwd: opts.dir,
      long: true,
      okExitCodes: [3],
      ...(opts.onProgress && { onLine: opts.onProgress }),
    });
    const summary = parseBackupSummary(r.stdout);
    if (r.exitCode === 3) {
      // Restic wrote a snapshot that lacks what it could not read: it must not count as a backup.
      if (summary.snapshotId) await this.forgetIds(target, [summary.snapshotId]);
      throw new ResticError(
        `restic backup failed: ${describeFailure('incomplete')} (${lastLines(r.stderr)})`,
        {
          operation: 'restic backup',
          failure: 'incomplete',
          exitCode: 3,
        },
      );
    }
    return summary;
  }

  async snapshots(target: ResticTarget, opts: { host?: string; tags?: string[] }): Promise<ResticSnapshot[]> {
    const r = await this.call(target, snapshotsArgv(opts));
    return parseSnapshots(r.stdout);
  }

  async forget(
    target: ResticTarget,
    opts: { tags: string[]; groupBy: string; keep: ResticKeep },
  ): Promise<string[]> {
    const r = await this.call(target, forgetArgv(opts), { long: true });
    return parseForget(r.stdout);
  }

  async forgetIds(target: ResticTarget, ids: string[]): Promise<void> {
    if (ids.length) await this.call(target, forgetIdsArgv(ids), { long: true });
  }

  async restore(target: ResticTarget, opts: { id: string; targetDir: string }): Promise<void> {
    await this.call(target, restoreArgv(opts), { long: true });
  }

  async check(target: ResticTarget, opts: { readDataSubset?: string }): Promise<void> {
    await this.call(target, checkArgv(opts), { long: true });
  }
}
