// What HIY asks of restic (src/drivers/restic/runner.ts runs it), and the errors it classifies.
import { HiyError } from '../../model/errors.js';

/** Where a restic repository is and how to open it. The password and `env` are secrets: never in argv or logs. */
export interface ResticTarget {
  repository: string;
  password: string;
  /** Extra environment for restic (S3 keys, …), values from HIY's secret store. */
  env?: Record<string, string>;
  /** How restic's ssh logs in to an `sftp:` repository (the key and known_hosts are secrets: written to 0600 files). */
  sftp?: ResticSftp;
  /** Further secret values inside `repository` (a REST server's login), masked in restic's messages like the rest. */
  hidden?: string[];
}

/** The ssh login of an `sftp:` repository; what is omitted comes from the user's own ~/.ssh. */
export interface ResticSftp {
  /** The private key's text (OpenSSH format). */
  identity?: string;
  /** known_hosts lines of the server; host keys are then checked strictly. */
  knownHosts?: string;
  port?: number;
}

/** One restic snapshot as `restic snapshots --json` lists it. */
export interface ResticSnapshot {
  id: string;
  shortId: string;
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
}

/** What `restic backup --json` reports at its end. */
export interface ResticBackupSummary {
  snapshotId: string;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dataAdded: number;
  totalFiles: number;
  totalBytes: number;
  durationSeconds: number;
}

/** Why restic failed, as far as its message tells: each gets its own wording for people. */
export type ResticFailure =
  | 'no-repository'
  | 'wrong-password'
  | 'unreachable'
  | 'locked'
  | 'no-space'
  | 'corrupt'
  | 'incomplete'
  | 'failed';

export class ResticError extends HiyError<{ operation: string; failure: ResticFailure; exitCode?: number }> {
  constructor(
    message: string,
    data: { operation: string; failure: ResticFailure; exitCode?: number },
    options?: { cause?: unknown },
  ) {
    super('RESTIC_FAILED', message, { data, ...options });
    this.name = 'ResticError';
  }
}

/** Retention as `restic forget --keep-*` takes it. */
export interface ResticKeep {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

/** The restic operations HIY uses; one implementation runs the real binary. */
export interface ResticDriver {
  /** Whether a repository exists at the target (a wrong password or an unreachable target throws). */
  exists(target: ResticTarget): Promise<boolean>;
  init(target: ResticTarget): Promise<void>;
  /** Backs up `dir` (its absolute path is what restic records), with these tags, as this host. */
  backup(
    target: ResticTarget,
    opts: { dir: string; host: string; tags: string[]; onProgress?: (line: string) => void },
  ): Promise<ResticBackupSummary>;
  snapshots(target: ResticTarget, opts: { host?: string; tags?: string[] }): Promise<ResticSnapshot[]>;
  /** Applies retention to the snapshots carrying all of `tags`; returns the ids removed. */
  forget(
    target: ResticTarget,
    opts: { tags: string[]; groupBy: string; keep: ResticKeep },
  ): Promise<string[]>;
  /** Removes snapshots by id (a partial backup never counts towards retention). */
  forgetIds(target: ResticTarget, ids: string[]): Promise<void>;
  /** Restores a whole snapshot under `targetDir` (restic recreates the backed-up absolute path below it). */
  restore(target: ResticTarget, opts: { id: string; targetDir: string }): Promise<void>;
  /** `restic check`, reading a subset of the data (e.g. `5%`) when given. */
  check(target: ResticTarget, opts: { readDataSubset?: string }): Promise<void>;
}
