// Scheduled snapshots (`spec.snapshots.schedule`): a cron per resource enqueues a run; the run, holding the
// apply lock, stops the container briefly, takes and verifies a snapshot of each volume, and starts it again.
import type { Logger } from 'pino';
import { pruneSnapshots, takeSnapshot, verifySnapshot } from '../apply/snapshot.js';
import type { DesiredState } from '../desired/types.js';
import { LABEL_INSTANCE, LABEL_RESOURCE } from '../model/labels.js';
import { resourceId } from '../model/names.js';
import type { Engine } from './engine.js';
import type { EventDraft } from './events.js';
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
    if (resource.kind === 'User' || !resource.spec.snapshots) continue;
    const id = resourceId(resource.kind, resource.metadata.name);
    out.set(id, {
      resource: id,
      schedule: resource.spec.snapshots.schedule,
      keep: resource.spec.snapshots.keep,
    });
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
 * Takes the scheduled snapshots of one resource: stops its container (so the data is at rest), snapshots and
 * verifies each volume, starts the container again whatever happened, and prunes to `keep` per volume. Call it
 * holding the apply lock. Returns the events to record; never throws for a snapshot failure.
 */
export async function takeScheduledSnapshots(
  engine: Engine,
  spec: ScheduleSpec,
  commit: string | undefined,
): Promise<EventDraft[]> {
  const events: EventDraft[] = [];
  const deps = { podman: engine.podman, dataDir: engine.settings.dataDir };
  const log = engine.logger.child({ component: 'snapshots', resource: spec.resource });
  const [containers, volumes] = await Promise.all([
    engine.podman.listContainers({
      [LABEL_RESOURCE]: spec.resource,
      [LABEL_INSTANCE]: engine.settings.instance,
    }),
    engine.podman.listVolumes({
      [LABEL_RESOURCE]: spec.resource,
      [LABEL_INSTANCE]: engine.settings.instance,
    }),
  ]);
  if (volumes.length === 0) {
    events.push({
      type: 'snapshot.failed',
      resource: spec.resource,
      message: `${spec.resource}: scheduled snapshot skipped: the resource has no volume yet`,
      data: { error: 'no volume' },
    });
    return events;
  }
  const running = containers.filter((c) => c.state === 'running' && !c.name.includes('_'));
  try {
    for (const c of running)
      await engine.podman.stopContainer(c.name, Number(c.labels['hiy.stop-timeout'] ?? 10));
    for (const v of volumes) {
      try {
        const m = await takeSnapshot(deps, {
          volume: v.name,
          mountpoint: v.mountpoint,
          resource: spec.resource,
          reason: 'scheduled',
          stateCommit: commit,
        });
        await verifySnapshot(deps, m);
        await pruneSnapshots(deps, v.name, spec.keep);
        log.info({ volume: v.name, id: m.id, files: m.files, bytes: m.bytes }, 'scheduled snapshot taken');
        events.push({
          type: 'snapshot.taken',
          resource: spec.resource,
          message: `${spec.resource}: snapshot ${m.id} of ${v.name} (${m.files} files, ${m.bytes} bytes), verified`,
          data: { volume: v.name, id: m.id, files: m.files, bytes: m.bytes, reason: 'scheduled' },
        });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        log.error({ volume: v.name, error }, 'scheduled snapshot failed');
        events.push({
          type: 'snapshot.failed',
          resource: spec.resource,
          message: `${spec.resource}: scheduled snapshot of ${v.name} failed: ${error}`,
          data: { volume: v.name, error },
        });
      }
    }
  } finally {
    for (const c of running) {
      await engine.podman.startContainer(c.name).catch((err) => {
        // The reconcile that follows in the same run starts it again (a stopped container is drift).
        log.error({ container: c.name, err }, 'could not restart the container after its snapshot');
      });
    }
  }
  return events;
}
