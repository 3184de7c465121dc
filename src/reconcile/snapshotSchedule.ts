// Scheduled snapshots (`spec.snapshots.schedule`): a cron per resource enqueues a run; the run takes a verified
// snapshot of each volume as `hiy snapshot create` does, then prunes to `spec.snapshots.keep`.

import type { Logger } from 'pino';
import { LockBusyError } from '../apply/lock.js';
import { createSnapshots } from '../data/commands.js';
import type { DesiredState } from '../desired/types.js';
import { type Engine, withApplyLock } from '../engine/engine.js';
import { errorMessage } from '../model/errors.js';
import { resourceId } from '../model/names.js';
import { pruneSnapshots, type SnapshotManifest } from '../snapshots/snapshot.js';
import type { EventDraft } from '../store/events.js';
import { cronTrigger, type TriggerHandle } from './triggers.js';

/** A resource's snapshot schedule as written in the state repo. */
export interface ScheduleSpec {
  resource: string;
  schedule: string;
  keep: number;
}

/** The schedules of a desired state, by resource id. Pure. */
export function snapshotSchedules(desired: DesiredState): Map<string, ScheduleSpec> {
  const out = new Map<string, ScheduleSpec>();
  for (const { resource } of desired.resources) {
    if (resource.kind !== 'App' && resource.kind !== 'Port') continue;
    const schedule = resource.spec.snapshots?.schedule;
    if (!schedule) continue;
    const id = resourceId(resource.kind, resource.metadata.name);
    out.set(id, { resource: id, schedule, keep: resource.spec.snapshots?.keep ?? 5 });
  }
  return out;
}

export interface SnapshotScheduler {
  /** Re-reads the schedules from the state repo (after each plan): new, changed and removed crons. */
  update(desired: DesiredState): void;
  /** The schedule in force for a resource (the run that takes the snapshot reads it). */
  spec(resource: string): ScheduleSpec | undefined;
  stop(): void;
}

/** Keeps one cron per scheduled resource; a tick enqueues a `snapshot-schedule` trigger for it. */
export function startSnapshotScheduler(opts: {
  logger: Logger;
  enqueue(resource: string): unknown;
}): SnapshotScheduler {
  const jobs = new Map<string, { spec: ScheduleSpec; handle: TriggerHandle }>();
  return {
    update(desired) {
      const wanted = snapshotSchedules(desired);
      for (const [id, job] of jobs) {
        const w = wanted.get(id);
        if (!w || w.schedule !== job.spec.schedule) {
          void job.handle.stop();
          jobs.delete(id);
        } else job.spec = w;
      }
      for (const [id, spec] of wanted) {
        if (jobs.has(id)) continue;
        try {
          jobs.set(id, { spec, handle: cronTrigger(spec.schedule, () => void opts.enqueue(id)) });
          opts.logger.info({ resource: id, schedule: spec.schedule }, 'snapshot schedule set');
        } catch (err) {
          // `hiy validate` rejects such a schedule; this only guards against a state read some other way.
          opts.logger.warn({ resource: id, err }, 'invalid snapshot schedule ignored');
        }
      }
    },
    spec: (resource) => jobs.get(resource)?.spec,
    stop() {
      for (const job of jobs.values()) void job.handle.stop();
      jobs.clear();
    },
  };
}

/**
 * Takes the scheduled snapshots of one resource the way `hiy snapshot create` does (its own hold of the apply
 * lock, the container stopped meanwhile and started again, crash-safe through the journal), then keeps the
 * newest `keep` snapshots of each volume. Returns the events to record; a failed snapshot is an event
 * (`snapshot.failed`), never an exception. LockBusyError (a `hiy apply` from a shell) is thrown for the caller
 * to retry.
 */
export async function takeScheduledSnapshots(engine: Engine, spec: ScheduleSpec): Promise<EventDraft[]> {
  const log = engine.logger.child({ component: 'snapshots', resource: spec.resource });
  let taken: SnapshotManifest[];
  try {
    taken = await createSnapshots(engine, spec.resource, undefined, 'scheduled');
  } catch (err) {
    if (err instanceof LockBusyError) throw err;
    const error = errorMessage(err);
    log.error({ error }, 'scheduled snapshot failed');
    return [
      {
        type: 'snapshot.failed',
        resource: spec.resource,
        message: `${spec.resource}: scheduled snapshot failed: ${error}`,
        data: { error, reason: 'scheduled' },
      },
    ];
  }
  const deps = { podman: engine.podman, dataDir: engine.settings.dataDir };
  await withApplyLock(engine, async () => {
    for (const v of new Set(taken.map((m) => m.volume))) await pruneSnapshots(deps, v, spec.keep);
  }).catch((err) => log.warn({ err }, 'pruning after a scheduled snapshot (retried after the next one)'));
  return taken.map((m) => {
    log.info({ volume: m.volume, id: m.id, files: m.files, bytes: m.bytes }, 'scheduled snapshot taken');
    return {
      type: 'snapshot.taken' as const,
      resource: spec.resource,
      message: `${spec.resource}: snapshot ${m.id} of ${m.volume} (${m.files} files, ${m.bytes} bytes), verified`,
      data: { volume: m.volume, id: m.id, files: m.files, bytes: m.bytes, reason: 'scheduled' },
    };
  });
}
