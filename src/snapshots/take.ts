// Taking a snapshot: export the volume, verify the archive while it is written, and only then record it.
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileAtomic } from '../store/atomic.js';
import { noFaults } from '../store/faults.js';
import {
  SNAPSHOT_ARCHIVE_FILE as ARCHIVE,
  counter,
  failure,
  SNAPSHOT_MANIFEST_FILE as MANIFEST,
  type SnapshotDeps,
  type SnapshotManifest,
  type SnapshotReason,
  snapshotDir,
  snapshotId,
  type TakeSnapshotOptions,
  VerificationFailure,
} from './manifest.js';
import { scanWhileWritten } from './tarScan.js';

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
  const faults = deps.faults ?? noFaults;
  const dir = snapshotDir(deps, volume, id);
  const partial = join(dir, `${ARCHIVE}.partial`);
  const archive = join(dir, ARCHIVE);
  await mkdir(dir, { recursive: true });
  try {
    // The archive is hashed and parsed while Podman writes it (on another CPU), not after.
    const [scanned, counted] = await Promise.allSettled([
      scanWhileWritten(
        partial,
        faults.during('snapshot:export', () => deps.podman.exportVolume(volume, partial)),
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
    faults.point('snapshot:archived');
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

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
