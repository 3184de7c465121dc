// Scheduled jobs (`spec.jobs`): one run in a one-off container, never two of one job at once, kept in the store.

import { join } from 'node:path';
import { resolveWorkloadName } from '../access/targets.js';
import { headResources } from '../desired/load.js';
import { errorMessage } from '../model/errors.js';
import { parseDuration } from '../model/quantity.js';
import type { Resource } from '../model/resources.js';
import type { EventDraft } from '../store/events.js';
import { JOB_OUTPUT_KEPT, type JobRun } from '../store/jobRuns.js';
import { tryLockFile } from '../store/lockFile.js';
import { withApplyLock } from './applyLock.js';
import type { Engine } from './context.js';
import { oneOffSpec, removeLeftoverOneOffs } from './oneOff.js';
import { currentRelease, findWorkloadContainer, OperationError } from './resourceTarget.js';

/** A job as the state repo defines it, with its resource. */
export interface JobSpec {
  resource: string;
  name: string;
  schedule: string;
  command: string[];
  timeoutMs: number;
}

/** Every job of the Apps and Ports of a state. Pure. */
export function jobsOf(resources: Resource[]): JobSpec[] {
  const out: JobSpec[] = [];
  for (const r of resources) {
    if (r.kind !== 'App' && r.kind !== 'Port') continue;
    for (const j of r.spec.jobs ?? []) {
      out.push({
        resource: `${r.kind.toLowerCase()}/${r.metadata.name}`,
        name: j.name,
        schedule: j.schedule,
        command: j.command,
        timeoutMs: parseDuration(j.timeout),
      });
    }
  }
  return out;
}

/** The job `job` of resource `name` at the state repo's head; OperationError when there is none. */
export async function findJob(engine: Engine, name: string, job: string): Promise<JobSpec> {
  const all = jobsOf(await headResources(engine.git, engine.settings.stateRepo, engine.settings.branch));
  const id = resolveWorkloadName(name, new Set(all.map((j) => j.resource)));
  const found = all.find((j) => j.resource === id && j.name === job);
  if (!found) {
    const known = all.filter((j) => j.resource === id).map((j) => j.name);
    throw new OperationError(
      'JOB_UNKNOWN',
      `${id ?? name} has no job ${job}${known.length ? ` (jobs: ${known.join(', ')})` : ''}`,
      { resource: id ?? name, job },
    );
  }
  return found;
}

/**
 * Runs a job once and records the run (the last 20 are kept). Skipped, and recorded so, when the resource is not
 * running or is being upgraded. Throws OperationError JOB_BUSY while another run of the same job is going (in
 * this process or another): the caller says so and does not wait.
 */
export async function runJob(
  engine: Engine,
  job: JobSpec,
  trigger: JobRun['trigger'],
  opts: { onOutput?: (chunk: string) => void; signal?: AbortSignal } = {},
): Promise<JobRun> {
  const { onOutput } = opts;
  const unlock = await lockJob(engine.settings.dataDir, job);
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  let output = '';
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-JOB_OUTPUT_KEPT);
    onOutput?.(chunk);
  };
  const base = { resource: job.resource, job: job.name, trigger, startedAt };
  let run: JobRun;
  try {
    const container = await findWorkloadContainer(engine, job.resource);
    if (container?.state !== 'running') {
      run = { ...base, ms: 0, outcome: 'skipped', reason: `${job.resource} is not running`, output: '' };
    } else {
      try {
        await removeLeftoverOneOffs(engine);
        const { id, release } = await currentRelease(engine, job.resource);
        const spec = oneOffSpec(engine, id, release.run, job.command, `job-${job.name}`);
        const exitCode = await engine.podman.runOneOff(spec, {
          output: { stdout: keep, stderr: keep },
          timeoutMs: job.timeoutMs,
          ...(opts.signal && { signal: opts.signal }),
        });
        const ms = Date.now() - started;
        const timedOut = exitCode === 124 && ms >= job.timeoutMs;
        run = {
          ...base,
          ms,
          exitCode,
          outcome: timedOut ? 'timed-out' : exitCode === 0 ? 'succeeded' : 'failed',
          ...(timedOut && { reason: `stopped after its timeout of ${job.timeoutMs / 1000}s` }),
          output,
        };
      } catch (err) {
        const reason = errorMessage(err);
        const skipped = err instanceof OperationError && err.code === 'UPGRADING';
        run = { ...base, ms: Date.now() - started, outcome: skipped ? 'skipped' : 'failed', reason, output };
      }
    }
    await engine.stores.jobRuns.record(run);
  } finally {
    await unlock();
  }
  engine.logger[run.outcome === 'succeeded' ? 'info' : 'warn'](
    {
      resource: job.resource,
      job: job.name,
      outcome: run.outcome,
      exitCode: run.exitCode,
      ms: run.ms,
      reason: run.reason,
    },
    'job run',
  );
  return run;
}

/** The event of a run that failed or timed out (it reaches notifications as `job.failed`), or undefined. */
export function jobEvent(run: JobRun): EventDraft | undefined {
  if (run.outcome !== 'failed' && run.outcome !== 'timed-out') return undefined;
  const why =
    run.outcome === 'timed-out'
      ? 'timed out'
      : run.exitCode !== undefined
        ? `exited ${run.exitCode}`
        : 'failed';
  return {
    type: 'job.failed',
    resource: run.resource,
    message: `${run.resource}: job ${run.job} ${why}${run.reason ? `: ${run.reason}` : ''}`,
    data: { job: run.job, outcome: run.outcome, exitCode: run.exitCode, ms: run.ms, trigger: run.trigger },
  };
}

/**
 * Appends a failed run's event to the history. The event log's writers hold the apply lock; a run in progress
 * holds it for a while, so this retries (every 500 ms, up to `maxWaitMs`).
 */
export async function recordJobEvent(engine: Engine, run: JobRun, maxWaitMs = 10 * 60_000): Promise<boolean> {
  const event = jobEvent(run);
  if (!event) return false;
  // Nothing is said of an event waiting its turn (not the engine's onLockWait).
  await withApplyLock(engine, () => engine.stores.events.append([event]), {
    wait: { ms: maxWaitMs, retryMs: 500, onWait: () => undefined },
  });
  return true;
}

/**
 * Takes `<dataDir>/jobs/RESOURCE.JOB.lock` (store/lockFile: the holder's pid, start time and boot id); a lock
 * whose holder provably died is taken over, a live holder's means the run is skipped.
 */
async function lockJob(dataDir: string, job: JobSpec): Promise<() => Promise<void>> {
  const path = join(dataDir, 'jobs', `${job.resource.replace('/', '_')}.${job.name}.lock`);
  const attempt = await tryLockFile(path, { job: job.name, resource: job.resource });
  if (attempt.held) return () => attempt.held.release();
  const pid = attempt.holder?.pid;
  throw new OperationError(
    'JOB_BUSY',
    `job ${job.name} of ${job.resource} is still running${pid ? ` (pid ${pid})` : ''}; this run is skipped`,
    { resource: job.resource, job: job.name, ...(pid && { pid }) },
  );
}

/** A job of the state repo's head with its last run (for `hiy status`). */
export interface JobStatus {
  resource: string;
  job: string;
  schedule: string;
  last?: Omit<JobRun, 'output'>;
}

/** Every job at the state repo's head and its last run, without the output. */
export async function jobStatuses(engine: Engine): Promise<JobStatus[]> {
  const jobs = jobsOf(await headResources(engine.git, engine.settings.stateRepo, engine.settings.branch));
  const store = engine.stores.jobRuns;
  return Promise.all(
    jobs.map(async (j) => {
      const last = await store.last(j.resource, j.name);
      const { output: _output, ...rest } = last ?? { output: '' };
      return {
        resource: j.resource,
        job: j.name,
        schedule: j.schedule,
        ...(last && { last: rest as Omit<JobRun, 'output'> }),
      };
    }),
  );
}
