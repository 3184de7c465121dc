// Scheduled jobs in the daemon: one cron per job of the state repo's head; a tick runs the job as a one-off.
import type { Logger } from 'pino';
import { headResources } from '../desired/load.js';
import type { Engine } from '../engine/engine.js';
import { type JobSpec, jobsOf, recordJobEvent, runJob } from '../engine/jobs.js';
import { OperationError } from '../engine/resourceTarget.js';
import type { DaemonPlugin } from './daemon.js';
import { cronTrigger, type TriggerHandle } from './triggers.js';

/** The key of a job: `app/blog cleanup`. */
const keyOf = (j: JobSpec) => `${j.resource} ${j.name}`;

export interface JobScheduler {
  /** Sets the crons to the given jobs: new, changed and removed ones. */
  update(jobs: JobSpec[]): void;
  /** Stops the crons and the runs in progress (their containers are removed), and waits for them. */
  stop(): Promise<void>;
}

/**
 * Keeps one cron per job. A tick runs the job outside the reconcile queue (a long job never delays a deploy);
 * a tick while the job's previous run is still going is skipped, and the log says so. Failed and timed-out
 * runs become `job.failed` events.
 */
export function startJobScheduler(opts: { engine: Engine; logger: Logger }): JobScheduler {
  const crons = new Map<string, { spec: JobSpec; handle: TriggerHandle }>();
  const running = new Set<Promise<unknown>>();
  const abort = new AbortController();
  const tick = (key: string) => {
    const spec = crons.get(key)?.spec;
    if (!spec || abort.signal.aborted) return;
    const run = (async () => {
      try {
        const done = await runJob(opts.engine, spec, 'schedule', { signal: abort.signal });
        if (!abort.signal.aborted) await recordJobEvent(opts.engine, done);
      } catch (err) {
        if (err instanceof OperationError && err.code === 'JOB_BUSY') {
          opts.logger.warn({ resource: spec.resource, job: spec.name }, `${err.message}`);
        } else opts.logger.error({ resource: spec.resource, job: spec.name, err }, 'job run failed');
      }
    })();
    running.add(run);
    void run.finally(() => running.delete(run));
  };
  return {
    update(jobs) {
      const wanted = new Map(jobs.map((j) => [keyOf(j), j]));
      for (const [key, cron] of crons) {
        const w = wanted.get(key);
        if (!w || w.schedule !== cron.spec.schedule) {
          void cron.handle.stop();
          crons.delete(key);
        } else cron.spec = w;
      }
      for (const [key, spec] of wanted) {
        if (crons.has(key)) continue;
        try {
          crons.set(key, { spec, handle: cronTrigger(spec.schedule, () => tick(key)) });
          opts.logger.info(
            { resource: spec.resource, job: spec.name, schedule: spec.schedule },
            'job scheduled',
          );
        } catch (err) {
          // `hiy validate` rejects such a schedule; this only guards against a state read some other way.
          opts.logger.warn({ resource: spec.resource, job: spec.name, err }, 'invalid job schedule ignored');
        }
      }
    },
    async stop() {
      for (const cron of crons.values()) await cron.handle.stop();
      crons.clear();
      abort.abort();
      await Promise.allSettled([...running]);
    },
  };
}

/**
 * The daemon plug-in that runs scheduled jobs: the crons follow the state repo's head, re-read after every
 * reconcile (a commit that adds, changes or removes a job takes effect with the run it triggers).
 */
export function jobsPlugin(): DaemonPlugin {
  return {
    name: 'jobs',
    async start(ctx) {
      const scheduler = startJobScheduler({
        engine: ctx.engine,
        logger: ctx.logger.child({ component: 'jobs' }),
      });
      const { stateRepo, branch } = ctx.engine.settings;
      let reading = Promise.resolve();
      const refresh = () => {
        reading = reading
          .then(async () => scheduler.update(jobsOf(await headResources(ctx.engine.git, stateRepo, branch))))
          .catch((err) => ctx.logger.warn({ err }, 'reading the jobs of the state repo'));
      };
      refresh();
      const unsubscribe = ctx.controller.subscribe((e) => {
        if (e.type === 'reconcile.finished' || e.type === 'reconcile.failed') refresh();
      });
      return {
        async stop() {
          unsubscribe();
          await reading;
          await scheduler.stop();
        },
      };
    },
  };
}
