// A restic backup of one volume brought back and made a local snapshot (reason `from-backup`) of that volume:
// the verified snapshot archive it was made from, restored as a plain file, so writing the volume is left to
// Podman's own import (rootless too: files owned by sub-uids come back with their owners).

import { constants } from 'node:fs';
import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResticTarget } from '../drivers/restic/types.js';
import { type Engine, withApplyLock } from '../engine/engine.js';
import { errorMessage } from '../model/errors.js';
import {
  adoptArchive,
  listSnapshots,
  removeSnapshot,
  SNAPSHOT_ARCHIVE_FILE,
  SNAPSHOT_MANIFEST_FILE,
  type SnapshotManifest,
} from '../snapshots/snapshot.js';
import { markAdopted, workDir } from './leftovers.js';
import { fetchLegacy, LEGACY_MANIFEST_FILE } from './legacy.js';
import { type BackupEntry, BackupError, resticOf } from './target.js';

/** A backup brought back as a local snapshot; verifySnapshot checks it against the manifest it came with. */
export interface FetchedBackup {
  entry: BackupEntry;
  /** The local snapshot (reason `from-backup`); its volume is the backed-up one (a scratch volume's, legacy). */
  snapshot: SnapshotManifest;
  /** Removes the local snapshot and the working directory. */
  release(): Promise<void>;
}

const exists = (path: string) =>
  access(path, constants.F_OK).then(
    () => true,
    () => false,
  );

/** Removes a local snapshot under the apply lock, when it is still there. */
export async function dropSnapshot(engine: Engine, m: SnapshotManifest): Promise<void> {
  const deps = { podman: engine.podman, dataDir: engine.settings.dataDir };
  await withApplyLock(engine, async () => {
    const still = (await listSnapshots(deps, m.volume)).find((s) => s.id === m.id);
    if (still) await removeSnapshot(deps, still);
  });
}

/**
 * Restores `entry` (restic restore of the snapshot's archive and manifest into a private folder of the data
 * directory) and makes it a local snapshot. restic authenticates what it decrypts; the archive's sha256, size
 * and file count are checked by verifySnapshot before anything uses it. Backups made before archives were
 * copied as they are (an extracted tree with `hiy-backup.json`) go through legacy.ts.
 */
export async function fetchBackup(
  engine: Engine,
  target: ResticTarget,
  entry: BackupEntry,
  step?: (message: string) => void,
): Promise<FetchedBackup> {
  const { dataDir } = engine.settings;
  // Named by this process and kept (with a note of the local snapshot it became) until the release: what a
  // crash leaves, the next run removes (leftovers.ts).
  const landing = await workDir(dataDir, 'restore');
  const releaseWith = (snapshot: SnapshotManifest) => async () => {
    await dropSnapshot(engine, snapshot);
    await rm(landing, { recursive: true, force: true });
  };
  try {
    step?.(`restoring backup ${entry.shortId} of ${entry.volume}`);
    await resticOf(engine).restore(target, { id: entry.id, targetDir: landing });
    // A directory backed up as `.` is restored at the target's root (restic 0.14: its content, not its path).
    if (await exists(join(landing, LEGACY_MANIFEST_FILE))) {
      const snapshot = await fetchLegacy(engine, entry, landing, step);
      await rm(landing, { recursive: true, force: true });
      return { entry, snapshot, release: () => dropSnapshot(engine, snapshot) };
    }
    const from = JSON.parse(
      await readFile(join(landing, SNAPSHOT_MANIFEST_FILE), 'utf8'),
    ) as SnapshotManifest;
    if (from.volume !== entry.volume)
      throw new BackupError(
        `backup ${entry.shortId} holds a snapshot of ${from.volume}, its tags say ${entry.volume}`,
      );
    const deps = { podman: engine.podman, dataDir };
    const snapshot = await withApplyLock(engine, async () => {
      const adopted = await adoptArchive(deps, join(landing, SNAPSHOT_ARCHIVE_FILE), from, 'from-backup');
      await markAdopted(landing, adopted.volume, adopted.id);
      return adopted;
    });
    return { entry, snapshot, release: releaseWith(snapshot) };
  } catch (err) {
    await rm(landing, { recursive: true, force: true });
    if (err instanceof BackupError) throw err;
    throw new BackupError(
      `backup ${entry.shortId} of ${entry.volume} cannot be restored: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
