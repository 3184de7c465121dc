// Backups made before volumes were copied as their snapshot archive: an extracted tree (`data/`) beside a
// manifest of every file's sha256 (`hiy-backup.json`). Brought back through a scratch volume written directly
// (root only: rootless, sub-uid owners are not kept) and verified file by file, then snapshotted.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { type Engine, withApplyLock } from '../engine/engine.js';
import { type SnapshotManifest, takeSnapshot } from '../snapshots/snapshot.js';
import { scratchLabels } from './leftovers.js';
import { checksumTree, compareChecksums, LABEL_SCRATCH } from './stage.js';
import { type BackupEntry, BackupError } from './target.js';

/** The manifest of a legacy backup, beside the `data/` folder holding the volume's files. */
export const LEGACY_MANIFEST_FILE = 'hiy-backup.json';
const DATA_DIR = 'data';

interface LegacyManifest {
  snapshot: SnapshotManifest;
  /** Path (relative to the volume's root) → sha256 hex of each regular file. */
  checksums: Record<string, string>;
}

/** Turns a restored legacy tree (in `landing`) into a verified local snapshot of a scratch volume. */
export async function fetchLegacy(
  engine: Engine,
  entry: BackupEntry,
  landing: string,
  step?: (message: string) => void,
): Promise<SnapshotManifest> {
  const name = `hiy-${engine.settings.instance}-scratch-${randomBytes(4).toString('hex')}`;
  await engine.podman.createVolume(name, scratchLabels(engine.settings.instance));
  try {
    const volume = (await engine.podman.listVolumes({ [LABEL_SCRATCH]: engine.settings.instance })).find(
      (v) => v.name === name,
    );
    if (!volume) throw new BackupError(`scratch volume ${name} was created but is not listed`);
    const manifest = JSON.parse(
      await readFile(join(landing, LEGACY_MANIFEST_FILE), 'utf8'),
    ) as LegacyManifest;
    for (const child of await readdir(join(landing, DATA_DIR)))
      await rename(join(landing, DATA_DIR, child), join(volume.mountpoint, child));
    step?.(`verifying ${Object.keys(manifest.checksums).length} files against the backup's manifest`);
    const problems = compareChecksums(manifest.checksums, await checksumTree(volume.mountpoint));
    if (problems.length) {
      throw new BackupError(
        `backup ${entry.shortId} of ${entry.volume} failed verification: ${problems.length} problem(s): ${problems.slice(0, 5).join('; ')}`,
      );
    }
    const m = manifest.snapshot;
    const deps = { podman: engine.podman, dataDir: engine.settings.dataDir };
    return await withApplyLock(engine, () =>
      takeSnapshot(deps, {
        volume: name,
        mountpoint: volume.mountpoint,
        resource: entry.resource,
        reason: 'from-backup',
        ...(m.stateCommit && { stateCommit: m.stateCommit }),
        ...(m.imageBefore && { imageBefore: m.imageBefore }),
        ...(m.dataVersion !== undefined && { dataVersion: m.dataVersion }),
      }),
    );
  } finally {
    await engine.podman.removeVolume(name).catch(() => {});
  }
}
