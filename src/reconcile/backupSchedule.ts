// Scheduled backups in the daemon: per Backup of the state repo's head, a cron for its backups (spec.schedule),
// its repository check (spec.check.schedule) and its restore drills (spec.drill.schedule); and a watch that says
// once (an event, so a notification) when a resource's backups have gone stale.

import type { Logger } from 'pino';
import { backupNow } from '../backup/backupNow.js';
import { checkBackup } from '../backup/check.js';
import { drillBackups } from '../backup/drill.js';
import { sweepLeftovers } from '../backup/leftovers.js';
import { headResources } from '../desired/load.js';
import { backupAges } from '../engine/backupAges.js';
import type { Engine } from '../engine/engine.js';
import { errorMessage } from '../model/errors.js';
import { LABEL_RESOURCE, ownershipLabels } from '../model/labels.js';
import type { BackupResource, Resource } from '../model/resources.js';
import type { DaemonPlugin } from './daemon.js';
import { cronTrigger, type TriggerHandle } from './triggers.js';

/** What a cron of a Backup runs. */
export type BackupTask = 'backup' | 'check' | 'drill';

/** One cron: `offsite backup` at `0 3 * * *`. */
export interface BackupCron {
  backup: string;
  task: BackupTask;
  schedule: string;
}

/** The crons a state's Backups ask for. Pure. */
export function backupCrons(resources: Resource[]): BackupCron[] {
  const out: BackupCron[] = [];
  for (const r of resources) {
    if (r.kind !== 'Backup') continue;
    const backup = r.metadata.name;
    if (r.spec.schedule) out.push({ backup, task: 'backup', schedule: r.spec.schedule });
    if (r.spec.check) out.push({ backup, task: 'check', schedule: r.spec.check.schedule });
    if (r.spec.drill) out.push({ backup, task: 'drill', schedule: r.spec.drill.schedule });
  }
  return out;
}

const keyOf = (c: BackupCron) => `${c.backup} ${c.task}`;

export interface BackupScheduler {
  /** Sets the crons to the state's Backups: new, changed and removed ones. */
  update(resources: Resource[]): void;
  /** Runs one task now, as a tick would (tests and the first run use it); resolves when it is done. */
  run(cron: Omit<BackupCron, 'schedule'>): Promise<void>;
  /** Stops the crons and waits for the task in progress. */
  stop(): Promise<void>;
}

/**
 * Keeps one cron per Backup task. Tasks run one at a time, outside the reconcile queue (an upload never delays a
 * deploy; a backup takes the apply lock only for its snapshots); a tick while the same task is queued or running
 * is skipped. Every outcome is already an event and a mark in the backup history (backupNow, drillBackups,
 * checkBackup record them); a failure here is logged and retried at the next tick.
 */
export function startBackupScheduler(opts: { engine: Engine; logger: Logger }): BackupScheduler {
  const { engine, logger } = opts;
  const crons = new Map<string, { cron: BackupCron; handle: TriggerHandle }>();
  const pending = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = (c: Omit<BackupCron, 'schedule'>): Promise<void> => {
    const key = `${c.backup} ${c.task}`;
    if (pending.has(key)) {
      logger.warn({ backup: c.backup, task: c.task }, 'the previous run is not done: this tick is skipped');
      return chain;
    }
    pending.add(key);
    const next = chain.then(async () => {
      if (stopped) return;
      const log = logger.child({ backup: c.backup, task: c.task });
      try {
        if (c.task === 'backup') {
          const r = await backupNow(engine, { backup: c.backup });
          log.info({ volumes: r.volumes.length, failures: r.failures.length }, 'scheduled backup done');
        } else if (c.task === 'check') {
          const r = await checkBackup(engine, { backup: c.backup });
          log.info({ passed: r.passed }, 'scheduled repository check done');
        } else {
          const r = await drillBackups(engine, { backup: c.backup });
          log.info({ drills: r.length, failed: r.filter((d) => !d.passed).length }, 'scheduled drill done');
        }
      } catch (err) {
        // backupNow has recorded its event; the next tick tries again.
        log.error({ error: errorMessage(err) }, 'scheduled backup task failed');
      } finally {
        pending.delete(key);
      }
    });
    chain = next;
    return next;
  };
  return {
    update(resources) {
      const wanted = new Map(backupCrons(resources).map((c) => [keyOf(c), c]));
      for (const [key, entry] of crons) {
        const w = wanted.get(key);
        if (!w || w.schedule !== entry.cron.schedule) {
          void entry.handle.stop();
          crons.delete(key);
        }
      }
      for (const [key, cron] of wanted) {
        if (crons.has(key)) continue;
        try {
          crons.set(key, { cron, handle: cronTrigger(cron.schedule, () => void run(cron)) });
          logger.info(cron, 'backup task scheduled');
          if (cron.task === 'backup')
            void engine.stores.backupHistory
              .watchSince(cron.backup, new Date().toISOString())
              .catch((err) => logger.warn({ err }, 'recording a backup schedule'));
        } catch (err) {
          // `hiy validate` rejects such a schedule; this only guards against a state read some other way.
          logger.warn({ ...cron, err }, 'invalid backup schedule ignored');
        }
      }
    },
    run,
    async stop() {
      stopped = true;
      for (const entry of crons.values()) await entry.handle.stop();
      crons.clear();
      await chain;
    },
  };
}

/**
 * Resources whose backups went stale since the last look: an event each (`backup.stale`, which notifies), once
 * per staleness (`notified` remembers them; a fresh backup clears the entry).
 */
export async function announceStale(engine: Engine, backups: BackupResource[], notified: Set<string>) {
  const [marks, volumes] = await Promise.all([
    engine.stores.backupHistory.list(),
    engine.podman.listVolumes(ownershipLabels(engine.settings.instance)),
  ]);
  const withVolumes = [...new Set(volumes.map((v) => v.labels[LABEL_RESOURCE] ?? '').filter(Boolean))];
  const ages = backupAges({
    backups,
    marks,
    resources: [...new Set([...withVolumes, ...backups.flatMap((b) => b.spec.resources ?? [])])],
    withVolumes,
    now: new Date(),
  });
  const events = [];
  for (const [resource, a] of ages) {
    if (!a.stale) {
      notified.delete(resource);
      continue;
    }
    if (notified.has(resource)) continue;
    notified.add(resource);
    events.push({
      type: 'backup.stale' as const,
      resource,
      message: `${resource}: backups are stale: ${a.stale.message}`,
      data: { backups: a.backups, ...(a.lastBackupAt && { lastBackupAt: a.lastBackupAt }) },
    });
  }
  await engine.stores.events.append(events);
}

/**
 * The daemon plug-in that runs the Backups' schedules: the crons follow the state repo's head, re-read after every
 * reconcile; staleness is looked at after each reconcile and each task.
 */
export function backupsPlugin(opts: { staleEveryMs?: number } = {}): DaemonPlugin {
  return {
    name: 'backups',
    async start(ctx) {
      const logger = ctx.logger.child({ component: 'backups' });
      // What a backup, restore or drill killed with the previous daemon left (leftovers.ts), removed once.
      void sweepLeftovers(ctx.engine);
      const scheduler = startBackupScheduler({ engine: ctx.engine, logger });
      const { stateRepo, branch } = ctx.engine.settings;
      const notified = new Set<string>();
      let backups: BackupResource[] = [];
      let reading = Promise.resolve();
      const refresh = () => {
        reading = reading
          .then(async () => {
            const resources = await headResources(ctx.engine.git, stateRepo, branch);
            scheduler.update(resources);
            backups = resources.filter((r): r is BackupResource => r.kind === 'Backup');
            if (backups.length) await announceStale(ctx.engine, backups, notified);
          })
          .catch((err) => logger.warn({ err }, 'reading the Backups of the state repo'));
      };
      refresh();
      const unsubscribe = ctx.controller.subscribe((e) => {
        if (e.type === 'reconcile.finished' || e.type === 'reconcile.failed') refresh();
      });
      // Staleness comes with time, not with an event: look again every so often (default hourly).
      const timer = setInterval(refresh, opts.staleEveryMs ?? 3_600_000);
      timer.unref();
      return {
        async stop() {
          clearInterval(timer);
          unsubscribe();
          await reading;
          await scheduler.stop();
        },
      };
    },
  };
}
