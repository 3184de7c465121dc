// A restic backup of one volume brought back into a scratch volume and verified against its own manifest
// (every file's sha256), before restore or a drill uses it. The scratch volume is removed by `release`.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResticTarget } from '../drivers/restic/types.js';
import type { Engine } from '../engine/engine.js';
import type { VolumeInfo } from '../model/containers.js';
import { type BackupManifest, checksumTree, DATA_DIR, MANIFEST_FILE } from './stage.js';
import { type BackupEntry, BackupError, resticOf } from './target.js';

/** Marks a scratch volume (never an instance's volume: it has no ownership labels, so no plan sees it). */
export const LABEL_SCRATCH = 'hiy.backup-scratch';

/** A verified copy of a backup in a scratch volume. */
export interface FetchedBackup {
  entry: BackupEntry;
  volume: VolumeInfo;
  manifest: BackupManifest;
  /** Removes the scratch volume. */
  release(): Promise<void>;
}

/** How a restored tree differs from its manifest; empty when it matches. */
export function compareChecksums(want: Record<string, string>, got: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, sum] of Object.entries(want)) {
    if (!(path in got)) problems.push(`${path} is missing`);
    else if (got[path] !== sum) problems.push(`${path} has another checksum`);
  }
  for (const path of Object.keys(got)) if (!(path in want)) problems.push(`${path} is not in the manifest`);
  return problems;
}

/** Restores `entry` into a new scratch volume and checks its file count and checksums against the manifest. */
export async function fetchVerified(
  engine: Engine,
  target: ResticTarget,
  entry: BackupEntry,
  step?: (message: string) => void,
): Promise<FetchedBackup> {
  const name = `hiy-${engine.settings.instance}-scratch-${randomBytes(4).toString('hex')}`;
  await engine.podman.createVolume(name, { [LABEL_SCRATCH]: engine.settings.instance });
  const release = () => engine.podman.removeVolume(name).catch(() => {});
  try {
    const volume = (await engine.podman.listVolumes({ [LABEL_SCRATCH]: engine.settings.instance })).find(
      (v) => v.name === name,
    );
    if (!volume) throw new BackupError(`scratch volume ${name} was created but is not listed`);
    step?.(`restoring backup ${entry.shortId} of ${entry.volume} into scratch volume ${name}`);
    const landing = join(volume.mountpoint, '.hiy-restore');
    await resticOf(engine).restore(target, { id: entry.id, targetDir: landing });
    // A directory backed up as `.` is restored at the target's root (restic 0.14: its content, not its path).
    const staged = landing;
    const manifest = JSON.parse(await readFile(join(staged, MANIFEST_FILE), 'utf8')) as BackupManifest;
    for (const child of await readdir(join(staged, DATA_DIR)))
      await rename(join(staged, DATA_DIR, child), join(volume.mountpoint, child));
    await rm(landing, { recursive: true, force: true });
    step?.(`verifying ${Object.keys(manifest.checksums).length} files against the backup's manifest`);
    const problems = compareChecksums(manifest.checksums, await checksumTree(volume.mountpoint));
    if (problems.length) {
      throw new BackupError(
        `backup ${entry.shortId} of ${entry.volume} failed verification: ${problems.length} problem(s): ${problems.slice(0, 5).join('; ')}`,
      );
    }
    return { entry, volume, manifest, release };
  } catch (err) {
    await release();
    if (err instanceof BackupError) throw err;
    throw new BackupError(
      `backup ${entry.shortId} of ${entry.volume} cannot be restored: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
