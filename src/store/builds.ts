// The builds of pushes, as `hiy build list`, `hiy status` and the dashboard see them: one record per build in
// `<dataDir>/build-runs/ID.json`, written by the process that builds, and a cancel request beside it.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { type ProcessIdentity, processGone, selfIdentity } from './lockFile.js';

/** Where a build is. `queued`, `building` and `deploying` are active; the rest are final. */
export type BuildState =
  | 'queued'
  | 'building'
  | 'deploying'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'timed-out';

export const ACTIVE_BUILD_STATES: readonly BuildState[] = ['queued', 'building', 'deploying'];

/** One build of a push (all the Apps a push of one repository deploys). */
export interface BuildRun extends ProcessIdentity {
  /** Sorts in start order: `<ms>-<pid>-<random>`. */
  id: string;
  /** App resource ids the push builds and deploys (`app/site`). */
  apps: string[];
  repo: string;
  branch: string;
  commit: string;
  /** The User who pushed. */
  user: string;
  state: BuildState;
  /** The step under way (`detect`, `build stage`, `runtime stage`, `deploy and health`), or the failing one. */
  step?: string;
  startedAt: string;
  finishedAt?: string;
  /** Why it failed, was cancelled or timed out (never a secret: build output is not quoted here). */
  reason?: string;
  /** The push asked to keep building when the pusher disconnects (`git push -o detach`). */
  detached: boolean;
  /** When the building process saw the pusher's connection gone (a detached build goes on). */
  disconnectedAt?: string;
  /** The build's time limit in milliseconds. */
  timeoutMs: number;
  /** Build log files (one per App built), relative to the data directory. */
  logs: string[];
}

/** A cancel request: who asked, and when. */
export interface CancelRequest {
  by: string;
  at: string;
}

/** Final builds kept (the newest ones); active ones are never pruned. */
const KEEP_FINISHED = 50;

export function isActive(run: Pick<BuildRun, 'state'>): boolean {
  return ACTIVE_BUILD_STATES.includes(run.state);
}

/**
 * A record as readers should see it: an active build whose process is provably gone (killed, box rebooted)
 * failed. Pure apart from the process check passed in.
 */
export function settle(run: BuildRun, gone: (p: ProcessIdentity) => boolean = processGone): BuildRun {
  if (!isActive(run) || !gone(run)) return run;
  return { ...run, state: 'failed', reason: run.reason ?? 'the building process ended without finishing' };
}

export class BuildRunStore {
  readonly dir: string;
  constructor(dataDir: string) {
    this.dir = join(dataDir, 'build-runs');
  }

  /** Starts a record for this process; returns it with its id. */
  async begin(
    draft: Omit<BuildRun, 'id' | 'pid' | 'start' | 'boot' | 'startedAt' | 'state'>,
    now = new Date(),
  ): Promise<BuildRun> {
    await mkdir(this.dir, { recursive: true });
    const id = `${String(now.getTime()).padStart(15, '0')}-${String(process.pid).padStart(7, '0')}-${randomBytes(3).toString('hex')}`;
    const run: BuildRun = { ...draft, ...selfIdentity(), id, state: 'queued', startedAt: now.toISOString() };
    await writeFileAtomic(join(this.dir, `${id}.json`), JSON.stringify(run));
    await this.prune().catch(() => undefined);
    return run;
  }

  /** Writes the record again with `patch` (only the process that began it writes it). */
  async update(run: BuildRun, patch: Partial<BuildRun>): Promise<BuildRun> {
    const next = { ...run, ...patch };
    await writeFileAtomic(join(this.dir, `${run.id}.json`), JSON.stringify(next));
    if (!isActive(next)) await rm(join(this.dir, `${run.id}.cancel`), { force: true });
    return next;
  }

  async get(id: string): Promise<BuildRun | undefined> {
    if (!/^[0-9a-f-]{1,40}$/.test(id)) return undefined;
    try {
      return settle(JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as BuildRun);
    } catch {
      return undefined;
    }
  }

  /** Every kept build, oldest first, settled (see {@link settle}). */
  async list(): Promise<BuildRun[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[]))
      .filter((n) => n.endsWith('.json'))
      .sort();
    const out: BuildRun[] = [];
    for (const name of names) {
      try {
        out.push(settle(JSON.parse(await readFile(join(this.dir, name), 'utf8')) as BuildRun));
      } catch {
        // Being written right now (never half-written: atomic), or removed by a prune.
      }
    }
    return out;
  }

  /** Asks the process building `id` to stop; it notices within a second. */
  async requestCancel(id: string, by: string, now = new Date()): Promise<void> {
    const request: CancelRequest = { by, at: now.toISOString() };
    await writeFile(join(this.dir, `${id}.cancel`), JSON.stringify(request));
  }

  async cancelRequest(id: string): Promise<CancelRequest | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, `${id}.cancel`), 'utf8')) as CancelRequest;
    } catch {
      return undefined;
    }
  }

  /** Keeps the newest KEEP_FINISHED final records. */
  private async prune(): Promise<void> {
    const finished = (await this.list()).filter((r) => !isActive(r));
    for (const r of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      await rm(join(this.dir, `${r.id}.json`), { force: true });
      await rm(join(this.dir, `${r.id}.cancel`), { force: true });
    }
  }
}
