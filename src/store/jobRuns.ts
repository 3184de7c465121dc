// The runs of scheduled jobs: the last 20 per job (output, exit code, duration), one JSON file per job.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/** How many runs of each job are kept. */
export const JOB_RUNS_KEPT = 20;
/** Output kept per run: the end of it, where errors are. */
export const JOB_OUTPUT_KEPT = 64 * 1024;

/** One run of a job, or one it skipped. */
export interface JobRun {
  resource: string;
  job: string;
  /** `schedule` (the daemon) or `manual` (`hiy job run`, SSH, API). */
  trigger: 'schedule' | 'manual';
  startedAt: string;
  ms: number;
  /** succeeded: exit 0; failed: any other exit or a start failure; timed-out: stopped at its timeout; skipped: not run. */
  outcome: 'succeeded' | 'failed' | 'timed-out' | 'skipped';
  exitCode?: number;
  /** Why it failed to start or was skipped. */
  reason?: string;
  /** stdout and stderr as they came, the last JOB_OUTPUT_KEPT characters. */
  output: string;
}

function fileOf(dataDir: string, resource: string, job: string): string {
  return join(dataDir, 'jobs', `${resource.replace('/', '_')}.${job}.json`);
}

/** `<dataDir>/jobs/RESOURCE.JOB.json`: the newest JOB_RUNS_KEPT runs, oldest first. */
export class JobRunStore {
  constructor(private readonly dataDir: string) {}

  async list(resource: string, job: string): Promise<JobRun[]> {
    try {
      return JSON.parse(await readFile(fileOf(this.dataDir, resource, job), 'utf8')) as JobRun[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Appends a run and drops the oldest beyond JOB_RUNS_KEPT. Writers of one job are serialised by its run lock. */
  async record(run: JobRun): Promise<void> {
    const all = [...(await this.list(run.resource, run.job)), run].slice(-JOB_RUNS_KEPT);
    await writeFileAtomic(fileOf(this.dataDir, run.resource, run.job), `${JSON.stringify(all, null, 2)}\n`);
  }

  async last(resource: string, job: string): Promise<JobRun | undefined> {
    return (await this.list(resource, job)).at(-1);
  }
}
