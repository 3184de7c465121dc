// The snapshot format and store layout: manifest, reasons, ids, where a snapshot's files are, and the errors.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { PodmanDriver } from '../drivers/podman/types.js';
import { HiyError } from '../model/errors.js';
import type { Faults } from '../store/faults.js';

/** Why a snapshot was taken; recorded for humans and for retention, never used to decide a restore. */
export type SnapshotReason =
  | 'upgrade'
  /** Taken before `hiy restart` replaced the container with one of the same spec. */
  | 'restart'
  | 'manual'
  | 'scheduled'
  | 'pre-restore'
  | 'pre-delete'
  /** Taken by `hiy backup now` to be copied offsite; only the newest of each volume is kept. */
  | 'backup'
  /** A restic backup brought back and verified, about to be restored by `hiy backup restore`. */
  | 'from-backup';

/**
 * What `<dataDir>/snapshots/<volume>/<id>/manifest.json` records. A snapshot exists only when this file does:
 * it is written last, after the archive has been verified.
 */
export interface SnapshotManifest {
  /** Sortable: `20261122T021500Z-1a2b3c` (UTC time of the snapshot, 6 random hex digits). */
  id: string;
  volume: string;
  /** The resource the volume belongs to, e.g. `port/mail`. */
  resource: string;
  /** The state repo commit applied when the snapshot was taken. */
  stateCommit?: string;
  imageBefore?: string;
  imageAfter?: string;
  reason: SnapshotReason;
  /** The port data version of the volume's content (docs/ports.md), when a declared port ran on it. */
  dataVersion?: number;
  /** Regular files in the archive (hard links count, directories and symlinks do not). */
  files: number;
  /** Size of `archive.tar` in bytes. */
  bytes: number;
  /** sha256 of `archive.tar`, hex. */
  sha256: string;
  createdAt: string;
}

/** Regular files under a directory and the sum of their sizes. */
export interface VolumeCount {
  files: number;
  bytes: number;
}

/**
 * What the snapshot functions need. A volume's files are counted and emptied through the Podman driver
 * (`countVolumeFiles`, `emptyVolumeFiles`): rootless they are owned by sub-uids and only Podman's user
 * namespace may read them. `countVolume` replaces the count (tests).
 */
export interface SnapshotDeps {
  podman: PodmanDriver;
  dataDir: string;
  now?: () => Date;
  countVolume?: (mountpoint: string) => Promise<VolumeCount>;
  /** The crash tests' points (`snapshot:export`, `snapshot:archived`, `restore:import`); none by default. */
  faults?: Faults;
}

/** How the volume's files are counted: the driver's walk, or the deps' replacement (tests). */
export function counter(deps: SnapshotDeps): (mountpoint: string) => Promise<VolumeCount> {
  return deps.countVolume ?? ((mountpoint) => deps.podman.countVolumeFiles(mountpoint));
}

export interface TakeSnapshotOptions {
  volume: string;
  /** The volume's directory on the host (`VolumeInfo.mountpoint`), counted to check the archive. */
  mountpoint: string;
  resource: string;
  reason: SnapshotReason;
  stateCommit?: string;
  imageBefore?: string;
  imageAfter?: string;
  dataVersion?: number;
}

/** The outcome of a restore. */
export interface RestoreResult {
  volume: string;
  files: number;
  /** The snapshot taken of the target's previous content, when it was not empty. */
  preRestore?: SnapshotManifest;
}

/** Any failure to take, verify or restore a snapshot. Nothing half-made is left behind when it is thrown. */
export class SnapshotError extends HiyError<{ volume: string; id?: string; reason: string }> {
  constructor(
    message: string,
    data: { volume: string; id?: string; reason: string },
    options?: { cause?: unknown },
  ) {
    super('SNAPSHOT_FAILED', message, { data, ...options });
    this.name = 'SnapshotError';
  }
}

/** A check that failed; becomes a SnapshotError "… failed verification: <reason>". */
export class VerificationFailure extends HiyError {
  constructor(message: string) {
    super('SNAPSHOT_UNVERIFIED', message);
    this.name = 'VerificationFailure';
  }
}

/** The files of a stored snapshot's directory (an offsite backup copies that directory as it is). */
export const SNAPSHOT_ARCHIVE_FILE = 'archive.tar';
export const SNAPSHOT_MANIFEST_FILE = 'manifest.json';
// Podman's own rule for volume names; it also keeps a name from escaping the snapshots directory.
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const SNAPSHOT_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** `<dataDir>/snapshots`: one directory per volume, one per snapshot in it. */
export function snapshotsRoot(deps: SnapshotDeps): string {
  return join(deps.dataDir, 'snapshots');
}

/** A snapshot's directory; throws on a volume name or id that could escape the store. */
export function snapshotDir(deps: SnapshotDeps, volume: string, id: string): string {
  if (!VOLUME_NAME.test(volume)) throw new Error(`invalid volume name ${JSON.stringify(volume)}`);
  if (!SNAPSHOT_ID.test(id)) throw new Error(`invalid snapshot id ${JSON.stringify(id)}`);
  return join(snapshotsRoot(deps), volume, id);
}

/** `20261122T021500Z-1a2b3c`: ISO time without separators or milliseconds, so ids sort by time. */
export function snapshotId(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** An error's message, or the thrown value as text. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Any error as the SnapshotError of `what` (a VerificationFailure says "failed verification"). */
export function failure(what: string, volume: string, id: string, err: unknown): SnapshotError {
  if (err instanceof SnapshotError) return err;
  const verification = err instanceof VerificationFailure;
  const reason = message(err);
  return new SnapshotError(
    `${what} failed${verification ? ' verification' : ''}: ${reason}`,
    { volume, id, reason },
    verification ? undefined : { cause: err },
  );
}

/** Where a stored snapshot's verified archive is (for copying it elsewhere; never written to). */
export function snapshotArchivePath(deps: Pick<SnapshotDeps, 'dataDir'>, m: SnapshotManifest): string {
  return join(snapshotDir(deps as SnapshotDeps, m.volume, m.id), SNAPSHOT_ARCHIVE_FILE);
}
