// `hiy backup now`: a verified snapshot of each volume (dump hook, brief stop: hiy snapshot create's way), its
// directory copied as it is to the restic repository with the apply lock released; then retention.
import { dirname } from 'node:path';
import { createSnapshots } from '../data/commands.js';
import type { ResticBackupSummary } from '../drivers/restic/types.js';
import { type Engine, withApplyLock } from '../engine/engine.js';
import { errorMessage } from '../model/errors.js';
import { LABEL_RESOURCE, ownershipLabels } from '../model/labels.js';
import type { BackupResource } from '../model/resources.js';
import {
  listSnapshots,
  removeSnapshot,
  type SnapshotManifest,
  snapshotArchivePath,
} from '../snapshots/snapshot.js';
import type { BackupOutcome } from '../store/backupHistory.js';
import type { EventDraft } from '../store/events.js';
import { BOX_STATE_TAG, uploadBoxState } from './boxState.js';
import { describeLeftovers, type Leftovers, sweepLeftovers } from './leftovers.js';
import { uploadRepos } from './repos.js';
import { ensureRepository } from './repository.js';
import {
  type BackupEntry,
  BackupError,
  backupEntries,
  backupHost,
  backupTags,
  pickBackup,
  resticOf,
  resticTarget,
} from './target.js';

/** One volume copied offsite. */
export interface VolumeBackup {
  resource: string;
  volume: string;
  /** The local verified snapshot it was made from (kept until the next backup of the volume succeeds). */
  snapshot: string;
  /** The restic snapshot id. */
  id: string;
  summary: ResticBackupSummary;
  /** Restic snapshots of the volume removed by the retention policy. */
  forgotten: number;
  /** The volume held what its last backup holds (`id`): nothing was uploaded. */
  unchanged?: true;
}

/** What a run did: each volume copied, and each resource or volume that failed (the others still ran). */
export interface BackupRun {
  backup: string;
  repository: string;
  volumes: VolumeBackup[];
  /** HIY's own state (secrets, releases, repositories…: boxState.ts), copied by a run of the whole box. */
  boxState?: { id: string; summary: ResticBackupSummary };
  /** The hosted git repositories (a bundle each: repos.ts), copied by a run of the whole box. */
  repos?: { repo: string; id: string; summary: ResticBackupSummary }[];
  failures: { resource: string; volume?: string; error: string }[];
  /** What interrupted runs had left (working directories, scratch volumes), removed first; absent when none. */
  leftovers?: Leftovers;
}

/** The resources a Backup covers that have volumes on this box: those it names, or all. */
async function coveredResources(engine: Engine, backup: BackupResource, only?: string): Promise<string[]> {
  const volumes = await engine.podman.listVolumes(ownershipLabels(engine.settings.instance));
  const withVolumes = [...new Set(volumes.map((v) => v.labels[LABEL_RESOURCE] ?? '').filter(Boolean))].sort();
  const covered = backup.spec.resources ?? withVolumes;
  if (only === undefined) return covered.filter((id) => withVolumes.includes(id));
  const id = only.includes('/') ? only : (covered.find((c) => c.split('/')[1] === only) ?? only);
  if (!covered.includes(id)) throw new BackupError(`backup/${backup.metadata.name} does not cover ${only}`);
  if (!withVolumes.includes(id)) throw new BackupError(`${id} has no volumes on this box`);
  return [id];
}

/**
 * Runs a Backup: every covered resource (or only `resource`) is snapshotted and copied. The target is opened
 * (created when empty) before any service is stopped, so a wrong password or an unreachable target touches
 * nothing. A failed upload keeps the local snapshot and removes no earlier backup.
 */
export async function backupNow(
  engine: Engine,
  opts: { backup?: string; resource?: string; onStep?: (message: string) => void } = {},
): Promise<BackupRun> {
  const backup = await pickBackup(engine, opts.backup);
  const target = await resticTarget(engine, backup);
  resticOf(engine); // refuses early when this HIY has no restic driver
  const step = opts.onStep;
  const covered = await coveredResources(engine, backup, opts.resource);
  // What an interrupted run left is removed while the repository is opened.
  const swept = sweepLeftovers(engine, step);
  try {
    await ensureRepository(engine, backup, target, step);
  } catch (err) {
    // Loud, and nothing was stopped or snapshotted: the services are untouched.
    const at = new Date().toISOString();
    await engine.stores.events.append([
      {
        type: 'backup.failed',
        message: `backup/${backup.metadata.name}: ${errorMessage(err)}`,
        data: { backup: backup.metadata.name, error: errorMessage(err) },
      },
    ]);
    await engine.stores.backupHistory.record(
      covered.map((resource) => ({
        backup: backup.metadata.name,
        resource,
        what: 'backup' as const,
        ok: false,
        at,
        error: errorMessage(err),
      })),
    );
    throw err;
  } finally {
    await swept;
  }
  const leftovers = await swept;
  const run: BackupRun = {
    backup: backup.metadata.name,
    repository: backup.spec.repository,
    volumes: [],
    failures: [],
    ...(describeLeftovers(leftovers) && { leftovers }),
  };
  // The last backup of each volume, read while the first snapshot is taken: an unchanged volume is not uploaded.
  const previous = resticOf(engine)
    .snapshots(target, { tags: [`hiy.instance=${engine.settings.instance}`] })
    .then((list) => backupEntries(backup.metadata.name, list))
    .catch(() => [] as BackupEntry[]);
  for (const resource of covered) {
    // The uploads start as soon as the snapshots are recorded, while the containers start again and pass their
    // health checks; one at a time (restic's retention locks the repository). Never rejected.
    let uploads: Promise<Uploaded[]> = Promise.resolve([]);
    const startUploads = (taken: SnapshotManifest[]) => {
      uploads = uploadAll(engine, backup, taken, previous, step);
    };
    try {
      await createSnapshots(engine, resource, step, 'backup', startUploads);
    } catch (err) {
      // A health check failing after the restart: the snapshots were taken and their uploads still count.
      run.failures.push({ resource, error: errorMessage(err) });
    }
    // The apply lock is released: the rest of the upload, however long, blocks no deploy.
    for (const r of await uploads) {
      if ('error' in r) run.failures.push({ resource, volume: r.volume, error: r.error });
      else {
        run.volumes.push(r);
        await dropOlderLocal(engine, r.volume, r.snapshot);
      }
    }
  }
  if (opts.resource === undefined) {
    try {
      const summary = await uploadBoxState(engine, target, step);
      run.boxState = { id: summary.snapshotId, summary };
      if (backup.spec.keep)
        await resticOf(engine).forget(target, {
          tags: [`hiy.instance=${engine.settings.instance}`, BOX_STATE_TAG],
          groupBy: 'host',
          keep: backup.spec.keep,
        });
    } catch (err) {
      run.failures.push({ resource: 'hiy', error: `HIY's own state: ${errorMessage(err)}` });
    }
    try {
      run.repos = await uploadRepos(engine, target, backup.spec.keep, step);
    } catch (err) {
      run.failures.push({ resource: 'hiy', error: `hosted repositories: ${errorMessage(err)}` });
    }
  }
  await engine.stores.events.append(runEvents(run));
  await engine.stores.backupHistory.record(runOutcomes(run, covered, new Date().toISOString()));
  return run;
}

/** A resource's backup succeeded when each of its volumes was copied and none failed. */
function runOutcomes(run: BackupRun, covered: string[], at: string): BackupOutcome[] {
  return covered.flatMap((resource): BackupOutcome[] => {
    const failed = run.failures.filter((f) => f.resource === resource);
    const copied = run.volumes.some((v) => v.resource === resource);
    if (!failed.length && !copied) return [];
    return [
      {
        backup: run.backup,
        resource,
        what: 'backup',
        ok: failed.length === 0,
        at,
        ...(failed.length && { error: failed.map((f) => f.error).join('; ') }),
      },
    ];
  });
}

type Uploaded = VolumeBackup | { volume: string; error: string };

/** Uploads the snapshots one after the other; each settles to its outcome, so the promise never rejects. */
async function uploadAll(
  engine: Engine,
  backup: BackupResource,
  taken: SnapshotManifest[],
  previous: Promise<BackupEntry[]>,
  step?: (message: string) => void,
): Promise<Uploaded[]> {
  const out: Uploaded[] = [];
  for (const snapshot of taken) {
    try {
      out.push(await uploadVolume(engine, backup, snapshot, await previous, step));
    } catch (err) {
      out.push({ volume: snapshot.volume, error: errorMessage(err) });
    }
  }
  return out;
}

/**
 * The volume's last backup when it holds exactly this snapshot's data: the same archive (sha256 of every byte,
 * names, modes and times included), data version and image. Podman's export is byte-for-byte reproducible for
 * an unchanged volume, so an unchanged volume is recognized without reading the repository.
 */
export function unchangedSince(previous: BackupEntry[], snapshot: SnapshotManifest): BackupEntry | undefined {
  const last = previous.find((e) => e.volume === snapshot.volume);
  if (!last?.sha256 || last.sha256 !== snapshot.sha256) return undefined;
  if (last.dataVersion !== snapshot.dataVersion) return undefined;
  if ((last.image ?? '') !== (snapshot.imageBefore ?? '')) return undefined;
  return last;
}

/** Backs one snapshot up (unless its last backup holds the same data) and applies retention. */
async function uploadVolume(
  engine: Engine,
  backup: BackupResource,
  snapshot: SnapshotManifest,
  previous: BackupEntry[],
  step?: (message: string) => void,
): Promise<VolumeBackup> {
  const base = { resource: snapshot.resource, volume: snapshot.volume, snapshot: snapshot.id };
  const same = unchangedSince(previous, snapshot);
  if (same) {
    step?.(`${snapshot.volume} is unchanged since backup ${same.shortId}: nothing to upload`);
    const summary: ResticBackupSummary = {
      snapshotId: same.id,
      filesNew: 0,
      filesChanged: 0,
      filesUnmodified: 2,
      dataAdded: 0,
      totalFiles: 2,
      totalBytes: snapshot.bytes,
      durationSeconds: 0,
    };
    return { ...base, id: same.id, summary, forgotten: 0, unchanged: true };
  }
  const target = await resticTarget(engine, backup);
  const restic = resticOf(engine);
  const snapDeps = { podman: engine.podman, dataDir: engine.settings.dataDir };
  // The verified snapshot's own directory (archive.tar and manifest.json) is what restic reads: no staging copy.
  step?.(`uploading ${snapshot.volume}/${snapshot.id} to ${backup.spec.repository}`);
  const summary = await restic.backup(target, {
    dir: dirname(snapshotArchivePath(snapDeps, snapshot)),
    host: backupHost(engine.settings.instance),
    tags: backupTags({
      instance: engine.settings.instance,
      resource: snapshot.resource,
      volume: snapshot.volume,
      snapshot: snapshot.id,
      sha256: snapshot.sha256,
      ...(snapshot.dataVersion !== undefined && { dataVersion: snapshot.dataVersion }),
      ...(snapshot.imageBefore && { image: snapshot.imageBefore }),
      ...(snapshot.stateCommit && { stateCommit: snapshot.stateCommit }),
    }),
  });
  let forgotten = 0;
  if (backup.spec.keep) {
    step?.(`retention of ${snapshot.volume}`);
    // One group per volume: the tags differ from one backup to the next (snapshot id, commit), so restic's
    // `--group-by host,tags` would make each backup its own group and keep them all; the volume's tag selects
    // the group instead.
    const removed = await restic.forget(target, {
      tags: [`hiy.instance=${engine.settings.instance}`, `hiy.volume=${snapshot.volume}`],
      groupBy: 'host',
      keep: backup.spec.keep,
    });
    forgotten = removed.length;
  }
  return { ...base, id: summary.snapshotId, summary, forgotten };
}

/** The local copy made for an earlier backup is no longer needed once this one is safely offsite. */
async function dropOlderLocal(engine: Engine, volume: string, keep: string): Promise<void> {
  const snapDeps = { podman: engine.podman, dataDir: engine.settings.dataDir };
  await withApplyLock(engine, async () => {
    const older = (await listSnapshots(snapDeps, volume)).filter(
      (m) => m.reason === 'backup' && m.id !== keep,
    );
    for (const m of older) await removeSnapshot(snapDeps, m);
  });
}

function runEvents(run: BackupRun): EventDraft[] {
  const events: EventDraft[] = run.volumes.map((v) => ({
    type: 'backup.succeeded',
    resource: v.resource,
    message: `${v.resource}: ${v.volume} backed up to ${run.backup} (${v.summary.totalFiles} files, ${v.summary.dataAdded} bytes added)`,
    data: {
      backup: run.backup,
      volume: v.volume,
      id: v.id,
      snapshot: v.snapshot,
      dataAdded: v.summary.dataAdded,
    },
  }));
  for (const f of run.failures) {
    events.push({
      type: 'backup.failed',
      // `hiy`: HIY's own state, not a resource.
      ...(f.resource !== 'hiy' && { resource: f.resource }),
      message: `${f.resource}: backup to ${run.backup} failed${f.volume ? ` for ${f.volume}` : ''}: ${f.error}`,
      data: { backup: run.backup, ...(f.volume && { volume: f.volume }), error: f.error },
    });
  }
  return events;
}
