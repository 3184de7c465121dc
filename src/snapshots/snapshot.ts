// Verified snapshots of Podman volumes: export, check the archive against the volume, and only then record it.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { PodmanDriver } from '../drivers/podman/types.js';
import { HiyError } from '../model/errors.js';
import { LABEL_RESOURCE } from '../model/labels.js';
import { syncDir, writeFileAtomic } from '../store/atomic.js';
import { crashDuring, crashPoint } from '../store/journal.js';

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
}

function counter(deps: SnapshotDeps): (mountpoint: string) => Promise<VolumeCount> {
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
class VerificationFailure extends HiyError {
  constructor(message: string) {
    super('SNAPSHOT_UNVERIFIED', message);
    this.name = 'VerificationFailure';
  }
}

/** The files of a stored snapshot's directory (an offsite backup copies that directory as it is). */
export const SNAPSHOT_ARCHIVE_FILE = 'archive.tar';
export const SNAPSHOT_MANIFEST_FILE = 'manifest.json';
const ARCHIVE = SNAPSHOT_ARCHIVE_FILE;
const MANIFEST = SNAPSHOT_MANIFEST_FILE;
// Podman's own rule for volume names; it also keeps a name from escaping the snapshots directory.
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

function snapshotsRoot(deps: SnapshotDeps): string {
  return join(deps.dataDir, 'snapshots');
}

function snapshotDir(deps: SnapshotDeps, volume: string, id: string): string {
  if (!VOLUME_NAME.test(volume)) throw new Error(`invalid volume name ${JSON.stringify(volume)}`);
  if (!ID.test(id)) throw new Error(`invalid snapshot id ${JSON.stringify(id)}`);
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

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Exports the volume and verifies the archive before recording it: while Podman writes it, the file is read
 * back, hashed (sha256) and parsed; it must read to its end-of-archive marker with valid header checksums, keep
 * the size that was hashed, and hold as many regular files as the volume's mountpoint (so an empty archive of
 * a non-empty volume fails). Throws SnapshotError and removes the snapshot
 * directory on any failure. The volume should not be written to meanwhile (stop its writers first).
 */
export async function takeSnapshot(deps: SnapshotDeps, opts: TakeSnapshotOptions): Promise<SnapshotManifest> {
  const { volume } = opts;
  const now = (deps.now ?? (() => new Date()))();
  const id = snapshotId(now);
  const dir = snapshotDir(deps, volume, id);
  const partial = join(dir, `${ARCHIVE}.partial`);
  const archive = join(dir, ARCHIVE);
  await mkdir(dir, { recursive: true });
  try {
    // The archive is hashed and parsed while Podman writes it (on another CPU), not after.
    const [scanned, counted] = await Promise.allSettled([
      scanWhileWritten(
        partial,
        crashDuring('snapshot:export', () => deps.podman.exportVolume(volume, partial)),
      ),
      counter(deps)(opts.mountpoint),
    ]);
    // The export's failure explains more than the count's (a missing volume has no mountpoint either).
    if (scanned.status === 'rejected') throw scanned.reason;
    if (counted.status === 'rejected') throw counted.reason;
    const [scan, onHost] = [scanned.value, counted.value];
    if (scan.files !== onHost.files) {
      throw new VerificationFailure(`archive has ${scan.files} files, the volume has ${onHost.files}`);
    }
    // The hash above was computed over the file itself, read back from the page cache after Podman wrote each
    // part; a second full re-read here would read the same cache and cost ~0.3 s per 200 MiB (bench
    // snapshot-200m), so takeSnapshot only checks that nothing changed the file's size since, and leaves the
    // full re-read to verifySnapshot (which restoreSnapshot runs before it imports).
    const size = (await stat(partial)).size;
    if (size !== scan.bytes) {
      throw new VerificationFailure(`archive changed after writing (${scan.bytes} bytes read, ${size} now)`);
    }
    await fsyncPath(partial); // durable before any destructive step that relies on it
    // Podman wrote the archive, so it gets its name by a rename of its own, made durable before the manifest
    // (written last, with writeFileAtomic) says the snapshot is whole.
    await rename(partial, archive);
    await syncDir(dir);
    crashPoint('snapshot:archived');
    const manifest: SnapshotManifest = {
      id,
      volume,
      resource: opts.resource,
      ...(opts.stateCommit !== undefined && { stateCommit: opts.stateCommit }),
      ...(opts.imageBefore !== undefined && { imageBefore: opts.imageBefore }),
      ...(opts.imageAfter !== undefined && { imageAfter: opts.imageAfter }),
      reason: opts.reason,
      ...(opts.dataVersion !== undefined && { dataVersion: opts.dataVersion }),
      files: scan.files,
      bytes: scan.bytes,
      sha256: scan.sha256,
      createdAt: now.toISOString(),
    };
    await writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await fsyncPath(dir);
    return manifest;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw failure(`snapshot of ${volume}`, volume, id, err);
  }
}

function failure(what: string, volume: string, id: string, err: unknown): SnapshotError {
  if (err instanceof SnapshotError) return err;
  const verification = err instanceof VerificationFailure;
  const reason = message(err);
  return new SnapshotError(
    `${what} failed${verification ? ' verification' : ''}: ${reason}`,
    { volume, id, reason },
    verification ? undefined : { cause: err },
  );
}

/**
 * Makes an archive from elsewhere (an offsite backup brought back) a stored snapshot of `from.volume`, under a
 * new id and `reason`: the archive is moved in (same file system) and the manifest written last. Not verified
 * here: verifySnapshot (which restoreSnapshot runs first) compares it with the manifest it came with. Call it
 * while holding the apply lock (discardIncomplete must not see the half-made directory).
 */
export async function adoptArchive(
  deps: SnapshotDeps,
  archive: string,
  from: SnapshotManifest,
  reason: SnapshotReason,
): Promise<SnapshotManifest> {
  const now = (deps.now ?? (() => new Date()))();
  const manifest: SnapshotManifest = { ...from, id: snapshotId(now), reason, createdAt: now.toISOString() };
  const dir = snapshotDir(deps, manifest.volume, manifest.id);
  await mkdir(dir, { recursive: true });
  try {
    await rename(archive, join(dir, ARCHIVE));
    await writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw failure(
      `adopting an archive as a snapshot of ${manifest.volume}`,
      manifest.volume,
      manifest.id,
      err,
    );
  }
}

/** Re-reads a stored snapshot: the archive must parse to its end, and its size, checksum and file count match. */
export async function verifySnapshot(deps: SnapshotDeps, manifest: SnapshotManifest): Promise<void> {
  const what = `snapshot ${manifest.id} of ${manifest.volume}`;
  try {
    const archive = join(snapshotDir(deps, manifest.volume, manifest.id), ARCHIVE);
    const size = (await stat(archive)).size;
    if (size !== manifest.bytes) {
      throw new VerificationFailure(`archive has ${size} bytes, the manifest says ${manifest.bytes}`);
    }
    const scan = await scanArchive(archive);
    if (scan.sha256 !== manifest.sha256) {
      throw new VerificationFailure(`archive checksum ${scan.sha256} does not match ${manifest.sha256}`);
    }
    if (scan.files !== manifest.files) {
      throw new VerificationFailure(`archive has ${scan.files} files, the manifest says ${manifest.files}`);
    }
  } catch (err) {
    throw failure(what, manifest.volume, manifest.id, err);
  }
}

async function readManifest(path: string): Promise<SnapshotManifest | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as SnapshotManifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function dirNames(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every snapshot directory (volume, id, path) under the store, complete or not. */
async function snapshotDirs(deps: SnapshotDeps, volume?: string) {
  const volumes = volume !== undefined ? [volume] : await dirNames(snapshotsRoot(deps));
  const out: { volume: string; id: string; path: string }[] = [];
  for (const v of volumes.filter((name) => VOLUME_NAME.test(name))) {
    for (const id of await dirNames(join(snapshotsRoot(deps), v))) {
      if (ID.test(id)) out.push({ volume: v, id, path: snapshotDir(deps, v, id) });
    }
  }
  return out;
}

/** Complete snapshots (those with a manifest), of one volume or all, newest first. */
export async function listSnapshots(deps: SnapshotDeps, volume?: string): Promise<SnapshotManifest[]> {
  const manifests: SnapshotManifest[] = [];
  for (const d of await snapshotDirs(deps, volume)) {
    const m = await readManifest(join(d.path, MANIFEST));
    if (m) manifests.push(m);
  }
  return manifests.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : a.volume < b.volume ? 1 : -1));
}

/**
 * Removes snapshot directories without a manifest: leftovers of a crash during takeSnapshot. Call it only while
 * holding the apply lock, or it would remove a snapshot being taken. Returns the directories removed.
 */
export async function discardIncomplete(deps: SnapshotDeps): Promise<string[]> {
  const removed: string[] = [];
  for (const d of await snapshotDirs(deps)) {
    if (await readManifest(join(d.path, MANIFEST))) continue;
    await rm(d.path, { recursive: true, force: true });
    removed.push(d.path);
  }
  return removed;
}

/** Keeps the newest `keep` snapshots of a volume and removes the others; returns the removed ones. */
export async function pruneSnapshots(
  deps: SnapshotDeps,
  volume: string,
  keep = 5,
): Promise<SnapshotManifest[]> {
  const old = (await listSnapshots(deps, volume)).slice(Math.max(0, keep));
  for (const m of old) await removeSnapshot(deps, m);
  return old;
}

/** Removes one snapshot. Call it while holding the apply lock. */
export async function removeSnapshot(deps: SnapshotDeps, m: SnapshotManifest): Promise<void> {
  const dir = snapshotDir(deps, m.volume, m.id);
  // The manifest goes first, so a crash mid-removal leaves an incomplete dir, never a broken snapshot.
  await rm(join(dir, MANIFEST), { force: true });
  await rm(dir, { recursive: true, force: true });
}

/** Where a stored snapshot's verified archive is (for copying it elsewhere; never written to). */
export function snapshotArchivePath(deps: Pick<SnapshotDeps, 'dataDir'>, m: SnapshotManifest): string {
  return join(snapshotDir(deps as SnapshotDeps, m.volume, m.id), ARCHIVE);
}

/**
 * Restores a verified snapshot into the existing volume `toVolume` so that it holds exactly the archive's files.
 * `podman volume import` only adds files, so a non-empty target is first snapshotted (reason `pre-restore`) and
 * then emptied through its host mountpoint, in Podman's user namespace when rootless (`currentSaved`: the caller already holds a verified snapshot of the
 * current content, so none is taken). Containers using the volume must be stopped first.
 */
export async function restoreSnapshot(
  deps: SnapshotDeps,
  manifest: SnapshotManifest,
  toVolume: string,
  opts: {
    currentSaved?: boolean;
    /** Called once the current content is saved, before the volume is emptied (the journal records it). */
    beforeReplace?: () => Promise<void>;
    /**
     * The caller ran verifySnapshot on this manifest just before, ahead of any change (restoreFromSnapshot
     * verifies before it creates the target or stops its containers): the archive is not read twice.
     */
    verified?: boolean;
  } = {},
): Promise<RestoreResult> {
  const what = `restore of snapshot ${manifest.id} into ${toVolume}`;
  if (!opts.verified) await verifySnapshot(deps, manifest);
  try {
    const target = (await deps.podman.listVolumes({})).find((v) => v.name === toVolume);
    if (!target) throw new Error(`volume ${toVolume} does not exist (create it, with its labels, first)`);
    const mountpoint = target.mountpoint;
    if (!isAbsolute(mountpoint) || mountpoint === '/') {
      throw new Error(`volume ${toVolume} has no usable mountpoint (${JSON.stringify(mountpoint)})`);
    }
    let preRestore: SnapshotManifest | undefined;
    const present = await deps.podman.countVolumeFiles(mountpoint);
    if (present.entries > 0) {
      if (!opts.currentSaved) {
        preRestore = await takeSnapshot(deps, {
          volume: toVolume,
          mountpoint,
          resource: target.labels[LABEL_RESOURCE] ?? manifest.resource,
          reason: 'pre-restore',
        });
      }
      await opts.beforeReplace?.();
      await deps.podman.emptyVolumeFiles(mountpoint);
    } else await opts.beforeReplace?.();
    const archive = join(snapshotDir(deps, manifest.volume, manifest.id), ARCHIVE);
    await crashDuring('restore:import', () => deps.podman.importVolume(toVolume, archive));
    const after = await counter(deps)(mountpoint);
    if (after.files !== manifest.files) {
      throw new VerificationFailure(
        `volume has ${after.files} files after import, the snapshot ${manifest.files}`,
      );
    }
    return { volume: toVolume, files: after.files, ...(preRestore && { preRestore }) };
  } catch (err) {
    throw failure(what, toVolume, manifest.id, err);
  }
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface ArchiveScan {
  files: number;
  bytes: number;
  sha256: string;
}

/** How much new archive to read before starting its write-back (see scanWhileWritten). */
const SYNC_EVERY = 32 * 2 ** 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Follows `path` while `writing` (the export) runs, as `tail -f` would: hashes and parses each new byte, and
 * stops at the end of the file once the writer is done. The writer's error wins over a parse error.
 */
async function scanWhileWritten(path: string, writing: Promise<void>): Promise<ArchiveScan> {
  let finished = false;
  let writeError: unknown;
  const written = writing.then(
    () => {
      finished = true;
    },
    (err: unknown) => {
      finished = true;
      writeError = err ?? new Error('export failed');
    },
  );
  const hash = createHash('sha256');
  const reader = new TarHeaderReader();
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  let synced = 0;
  let syncing: Promise<void> | undefined;
  let scanError: unknown;
  try {
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    while (!handle) {
      const done = finished;
      handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT' || done) throw err;
        return undefined;
      });
      if (!handle) await Promise.race([written, sleep(5)]);
    }
    try {
      for (;;) {
        const done = finished;
        const { bytesRead } = await handle.read(buf, 0, buf.length, bytes);
        if (bytesRead > 0) {
          const chunk = buf.subarray(0, bytesRead);
          hash.update(chunk);
          reader.push(chunk);
          bytes += bytesRead;
          // Start writing back what is already there, so the final fsync has little left to flush.
          if (bytes - synced >= SYNC_EVERY && !syncing) {
            synced = bytes;
            const h = handle;
            syncing = h.datasync().finally(() => {
              syncing = undefined;
            });
          }
        } else if (done) {
          break;
        } else {
          await Promise.race([written, sleep(5)]);
        }
      }
    } finally {
      await syncing?.catch(() => {});
      await handle.close();
    }
  } catch (err) {
    scanError = err;
  }
  await written;
  if (writeError !== undefined) throw writeError;
  if (scanError instanceof VerificationFailure) throw scanError;
  if (scanError !== undefined)
    throw new VerificationFailure(`archive is not readable: ${message(scanError)}`);
  if (bytes === 0) throw new VerificationFailure('archive is empty (0 bytes)');
  reader.end();
  return { files: reader.files, bytes, sha256: hash.digest('hex') };
}

/** Reads a tar once: sha256 of all bytes, and its headers (checksums, sizes) up to the end-of-archive marker. */
async function scanArchive(path: string): Promise<ArchiveScan> {
  const hash = createHash('sha256');
  const reader = new TarHeaderReader();
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      hash.update(buf);
      reader.push(buf);
      bytes += buf.length;
    }
  } catch (err) {
    if (err instanceof VerificationFailure) throw err;
    throw new VerificationFailure(`archive is not readable: ${message(err)}`);
  }
  if (bytes === 0) throw new VerificationFailure('archive is empty (0 bytes)');
  reader.end();
  return { files: reader.files, bytes, sha256: hash.digest('hex') };
}

const BLOCK = 512;
/** Type flags of entries that are regular files on disk: file, old-style file, contiguous, hard link, GNU sparse. */
const REGULAR_TYPES = new Set(['0', '\0', '7', '1', 'S']);

/**
 * A streaming tar header parser (ustar, GNU and pax): counts regular files without buffering file data, and
 * throws VerificationFailure on a bad header checksum or an archive that ends before its end-of-archive marker.
 */
class TarHeaderReader {
  files = 0;
  private readonly header = Buffer.alloc(BLOCK);
  private filled = 0;
  /** Bytes of entry data (with padding) still to skip. */
  private skip = 0;
  /** Collected data of a pax extended header, whose `size=` overrides the next header's size. */
  private pax: Buffer[] | undefined;
  private paxSize: number | undefined;
  private ended = false;
  private entries = 0;

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.pax?.push(Buffer.from(chunk.subarray(off, off + n))); // a copy: callers reuse their buffer
        this.skip -= n;
        off += n;
        if (this.skip === 0 && this.pax) this.endPax();
        continue;
      }
      const n = Math.min(BLOCK - this.filled, chunk.length - off);
      chunk.copy(this.header, this.filled, off, off + n);
      this.filled += n;
      off += n;
      if (this.filled === BLOCK) {
        this.filled = 0;
        this.onHeader();
      }
    }
  }

  end(): void {
    if (this.ended) return;
    const where = this.skip > 0 || this.filled > 0 ? 'in the middle of an entry' : 'without an end marker';
    throw new VerificationFailure(`archive is truncated: it ends ${where} after ${this.entries} entries`);
  }

  private onHeader(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    const stored = parseOctal(h.subarray(148, 156));
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
    if (stored !== sum) {
      throw new VerificationFailure(`archive has a corrupt header after ${this.entries} entries`);
    }
    this.entries++;
    const type = String.fromCharCode(h[156] ?? 0);
    const size = this.paxSize ?? parseSize(h.subarray(124, 136));
    this.paxSize = undefined;
    if (REGULAR_TYPES.has(type)) this.files++;
    // Link entries have no data whatever their size field says.
    const dataSize = type === '1' || type === '2' ? 0 : size;
    this.skip = Math.ceil(dataSize / BLOCK) * BLOCK;
    this.pax = type === 'x' ? [] : undefined;
    if (this.pax && this.skip === 0) this.endPax();
  }

  private endPax(): void {
    const text = Buffer.concat(this.pax ?? []).toString('utf8');
    this.pax = undefined;
    const match = /(?:^|\n)\d+ size=(\d+)\n/.exec(text);
    if (match) this.paxSize = Number(match[1]);
  }
}

function parseOctal(field: Buffer): number {
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(text)) return Number.NaN;
  return Number.parseInt(text, 8);
}

/** A size field: octal, or GNU base-256 (high bit set) for sizes of 8 GiB and more. */
function parseSize(field: Buffer): number {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let n = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const size = parseOctal(field);
  if (!Number.isFinite(size)) throw new VerificationFailure('archive has an entry with an unreadable size');
  return size;
}
