// The builds of pushes for every surface (CLI, SSH verbs, API, dashboard, status): list them, cancel one, the
// Building condition they put on their Apps, and their events. Authorization is the caller's (src/access).
import { HiyError } from '../model/errors.js';
import type { Condition } from '../model/status.js';
import { type BuildRun, isActive } from '../store/builds.js';
import type { EventDraft } from '../store/events.js';
import { withApplyLock } from './applyLock.js';
import type { Engine } from './context.js';

export class BuildCancelError extends HiyError<{ resource: string }> {
  constructor(code: 'NO_BUILD' | 'BUILD_DEPLOYING', message: string, resource: string) {
    super(code, message, { data: { resource } });
    this.name = 'BuildCancelError';
  }
}

/** `1m05s` from milliseconds. */
function took(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * The Building condition of each App an active build covers (newest build wins). Pure: `now` is passed in.
 */
export function buildingConditions(runs: BuildRun[], now: Date): Map<string, Condition> {
  const out = new Map<string, Condition>();
  for (const r of runs.filter(isActive)) {
    const doing =
      r.state === 'queued'
        ? 'queued for a build slot'
        : r.state === 'deploying'
          ? 'deploying (health check)'
          : `building${r.step ? `: ${r.step}` : ''}`;
    for (const app of r.apps) {
      out.set(app, {
        type: 'Building',
        status: 'True',
        reason: r.state === 'queued' ? 'Queued' : r.state === 'deploying' ? 'Deploying' : 'Building',
        message: `${r.commit.slice(0, 12)} pushed by ${r.user}, ${doing} for ${took(now.getTime() - Date.parse(r.startedAt))} (hiy build cancel ${app.replace(/^app\//, '')} stops it)`,
        lastTransitionTime: r.startedAt,
      });
    }
  }
  return out;
}

/** Builds kept, newest first; with `resource`, only those of that App. */
export async function listBuilds(engine: Pick<Engine, 'stores'>, resource?: string): Promise<BuildRun[]> {
  const all = await engine.stores.builds.list();
  return all.filter((r) => resource === undefined || r.apps.includes(resource)).reverse();
}

/** The active build of an App (the newest), if any. */
export async function activeBuild(
  engine: Pick<Engine, 'stores'>,
  resource: string,
): Promise<BuildRun | undefined> {
  return (await listBuilds(engine, resource)).find(isActive);
}

/**
 * Asks the active build of `resource` to stop and waits (up to `waitMs`, default 30 s) for it to end. A build
 * that is deploying already is not stopped: the deploy is health-gated and keeps the old version on failure.
 * Resolves to the build as it ended (or as it is when the wait ran out).
 */
export async function cancelBuild(
  engine: Pick<Engine, 'stores'>,
  resource: string,
  by: string,
  opts: { waitMs?: number; pollMs?: number } = {},
): Promise<BuildRun> {
  const run = await activeBuild(engine, resource);
  if (!run) throw new BuildCancelError('NO_BUILD', `${resource} has no build under way`, resource);
  if (run.state === 'deploying')
    throw new BuildCancelError(
      'BUILD_DEPLOYING',
      `the build of ${resource} is done and deploying (health-gated: a failure keeps the running version); too late to cancel`,
      resource,
    );
  await engine.stores.builds.requestCancel(run.id, by);
  const deadline = Date.now() + (opts.waitMs ?? 30_000);
  for (;;) {
    const now = await engine.stores.builds.get(run.id);
    if (!now || !isActive(now) || now.state === 'deploying' || Date.now() > deadline) return now ?? run;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}

/** The event of a build that did not succeed: `build.failed` (failed, timed out) or `build.cancelled`. */
export function buildEvent(run: BuildRun): EventDraft[] {
  if (run.state !== 'failed' && run.state !== 'timed-out' && run.state !== 'cancelled') return [];
  const what = run.state === 'cancelled' ? 'cancelled' : run.state === 'timed-out' ? 'timed out' : 'FAILED';
  return run.apps.map((app) => ({
    type: run.state === 'cancelled' ? 'build.cancelled' : 'build.failed',
    resource: app,
    message: `build of ${app} at ${run.commit.slice(0, 12)} pushed by ${run.user} ${what}${run.step ? ` in ${run.step}` : ''}${run.reason ? `: ${run.reason}` : ''}`,
    data: {
      commit: run.commit,
      build: run.id,
      outcome: run.state,
      user: run.user,
      ...(run.step && { step: run.step }),
    },
  }));
}

/** Appends a build's event; events are written under the apply lock, waited for up to `maxWaitMs`. */
export async function recordBuildEvent(engine: Engine, run: BuildRun, maxWaitMs = 60_000): Promise<boolean> {
  const drafts = buildEvent(run);
  if (drafts.length === 0) return false;
  // Nothing is said of an event waiting its turn (not the engine's onLockWait).
  await withApplyLock(engine, () => engine.stores.events.append(drafts), {
    wait: { ms: maxWaitMs, retryMs: 500, onWait: () => undefined },
  });
  return true;
}
