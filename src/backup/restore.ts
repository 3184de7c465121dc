// `hiy backup restore RESOURCE`: the latest backup (or --id) of each volume, brought back as a local snapshot
// and restored the way `hiy snapshot restore` does (verified first, containers stopped, the current content
// snapshotted first, Podman's import writing the volume).
import { type RestoreOutcome, restoreFromSnapshot } from '../data/commands.js';
import type { ResticTarget } from '../drivers/restic/types.js';
import type { Engine } from '../engine/engine.js';
import { LABEL_RESOURCE, ownershipLabels } from '../model/labels.js';
import { fetchBackup } from './fetch.js';
import { sweepLeftovers } from './leftovers.js';
import { entryMatches } from './list.js';
import { openAndList } from './repository.js';
import { type BackupEntry, BackupError, backupEntries, pickBackup, resticTarget } from './target.js';

export interface BackupRestoreOutcome extends RestoreOutcome {
  /** The restic snapshot restored. */
  backupId: string;
}

/** The newest backup of each volume among `entries` (already newest first). */
export function latestPerVolume(entries: BackupEntry[]): BackupEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.volume) && seen.add(e.volume));
}

/** Which backups a restore or drill uses: of `resource` (or all), the one `--id` names, or the newest per volume. */
export function chooseEntries(
  entries: BackupEntry[],
  opts: { resource?: string; id?: string },
): BackupEntry[] {
  const mine = opts.resource ? entries.filter((e) => entryMatches(e, opts.resource!)) : entries;
  if (opts.id) {
    const found = mine.filter((e) => e.id.startsWith(opts.id!));
    if (found.length !== 1)
      throw new BackupError(
        found.length === 0
          ? `no backup ${opts.id}${opts.resource ? ` of ${opts.resource}` : ''}; hiy backup list shows them`
          : `${opts.id} matches ${found.length} backups; give more of the id`,
      );
    return found;
  }
  const latest = latestPerVolume(mine);
  if (latest.length === 0)
    throw new BackupError(`no backups${opts.resource ? ` of ${opts.resource}` : ''} in the repository`);
  return latest;
}

/**
 * Restores backups of a resource. Each is verified in a scratch volume before anything of the resource is
 * touched; then it becomes a verified local snapshot (reason `from-backup`) that `restoreFromSnapshot` puts back.
 */
export async function restoreFromBackup(
  engine: Engine,
  opts: {
    resource: string;
    backup?: string;
    id?: string;
    toVolume?: string;
    onStep?: (m: string) => void;
    /** The repository as given on the command line (restore-box), instead of the Backup's and its secrets. */
    target?: ResticTarget;
  },
): Promise<BackupRestoreOutcome[]> {
  const backup = await pickBackup(engine, opts.backup);
  await sweepLeftovers(engine, opts.onStep);
  const target = opts.target ?? (await resticTarget(engine, backup));
  const list = await openAndList(engine, backup, target);
  const chosen = chooseEntries(backupEntries(backup.metadata.name, list), opts);
  if (opts.toVolume && chosen.length > 1)
    throw new BackupError(`--to-volume needs one volume; ${opts.resource} has ${chosen.length}: give --id`);
  const out: BackupRestoreOutcome[] = [];
  for (const entry of chosen) out.push(await restoreOne(engine, target, entry, opts.toVolume, opts.onStep));
  await engine.stores.events.append(
    out.map((o) => ({
      type: 'backup.restored' as const,
      resource: o.snapshot.resource,
      message: `${o.snapshot.resource}: backup ${o.backupId.slice(0, 8)} restored into ${o.volume} (${o.files} files)`,
      data: { backup: backup.metadata.name, id: o.backupId, volume: o.volume, files: o.files },
    })),
  );
  return out;
}

async function restoreOne(
  engine: Engine,
  target: ResticTarget,
  entry: BackupEntry,
  toVolume: string | undefined,
  step?: (m: string) => void,
): Promise<BackupRestoreOutcome> {
  const fetched = await fetchBackup(engine, target, entry, step);
  try {
    const local = fetched.snapshot;
    const volume = toVolume ?? entry.volume;
    // The volume of a resource (gone, e.g. on a new box) comes back owned by HIY, as an apply would make it.
    if (volume === entry.volume && local.volume !== volume) {
      const exists = (await engine.podman.listVolumes({})).some((v) => v.name === volume);
      if (!exists) {
        step?.(`creating volume ${volume}`);
        await engine.podman.createVolume(volume, {
          ...ownershipLabels(engine.settings.instance),
          [LABEL_RESOURCE]: entry.resource,
        });
      }
    }
    // Verified (size, sha256, file count against the manifest it came with) before anything is replaced.
    const outcome = await restoreFromSnapshot(engine, `${local.volume}/${local.id}`, volume, step);
    return { ...outcome, backupId: entry.id };
  } finally {
    await fetched.release();
  }
}
