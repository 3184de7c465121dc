// Verifying a stored snapshot, and restoring one into a volume so that it holds exactly the archive's files.
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { LABEL_RESOURCE } from '../model/labels.js';
import { noFaults } from '../store/faults.js';
import {
  SNAPSHOT_ARCHIVE_FILE as ARCHIVE,
  counter,
  failure,
  type RestoreResult,
  type SnapshotDeps,
  type SnapshotManifest,
  snapshotDir,
  VerificationFailure,
} from './manifest.js';
import { takeSnapshot } from './take.js';
import { scanArchive } from './tarScan.js';

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
    await (deps.faults ?? noFaults).during('restore:import', () =>
      deps.podman.importVolume(toVolume, archive),
    );
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
