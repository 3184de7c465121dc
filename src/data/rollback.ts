// `hiy rollback`: redeploy an earlier release of one resource (optionally with the data it had), then pin it.

import { resolveWorkloadName } from '../access/targets.js';
import type { ApplyResult } from '../apply/apply.js';
import type { DesiredState } from '../desired/types.js';
import { checkDataVersions, restoredDataVersion } from '../engine/dataVersions.js';
import {
  type Engine,
  type OperationView,
  type Planned,
  planFromHistory,
  readHistory,
  readPlanInputs,
  runOperation,
  secretDigestsFor,
  withApplyLock,
} from '../engine/engine.js';
import { HiyError } from '../model/errors.js';
import type { DesiredWorkload } from '../model/workload.js';
import { workloadHash } from '../model/workload.js';
import { type PlanRequest, scopePlan } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { listSnapshots, verifySnapshot } from '../snapshots/snapshot.js';
import type { Pin } from '../store/pins.js';
import type { Release } from '../store/releases.js';

/** A rollback that cannot be done as asked; nothing was changed. */
export class RollbackError extends HiyError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ROLLBACK_REFUSED', message, options);
    this.name = 'RollbackError';
  }
}

export interface RollbackRequest {
  /** `greeter` or `port/greeter`. */
  name: string;
  /** Release number to go back to; default: the one before the current release. */
  to?: number;
  /** Also restore the data the target release had (after snapshotting the current data). */
  withData: boolean;
}

export interface RollbackOutcome {
  resource: string;
  from: number;
  to: number;
  plan: Plan;
  result: ApplyResult;
  pinned: boolean;
}

/** `greeter` or `port/greeter` → the id of that App or Port in the state repo. */
export function resolveResource(name: string, ids: string[]): string {
  const id = resolveWorkloadName(name, ids);
  if (id) return id;
  throw new RollbackError(
    name.includes('/')
      ? `${name} is not in the state repo`
      : `no App or Port named ${name} in the state repo`,
  );
}

/** The snapshots taken by the upgrade away from `target`: the data as `target` left it. */
async function dataOf(
  engine: Engine,
  releases: Release[],
  target: Release,
  volumes: string[],
): Promise<{ volume: string; snapshot: string }[]> {
  if (volumes.length === 0)
    throw new RollbackError(`${target.resource} has no volumes: --with-data has nothing to restore`);
  const next = releases.find((r) => r.number > target.number);
  if (!next || next.snapshots.length === 0) {
    throw new RollbackError(
      `no snapshot holds the data of release ${target.number}: release ${next?.number ?? target.number + 1} took none`,
    );
  }
  const all = await listSnapshots({ podman: engine.podman, dataDir: engine.settings.dataDir });
  const found = next.snapshots.flatMap((id) => all.filter((m) => m.id === id));
  const missing = volumes.filter((v) => !found.some((m) => m.volume === v));
  if (missing.length > 0) {
    throw new RollbackError(
      `the snapshots of release ${next.number} (${next.snapshots.join(', ')}) no longer cover ${missing.join(', ')} (retention removed them?); see hiy snapshot list`,
    );
  }
  const chosen = volumes.map((v) => found.find((m) => m.volume === v)!);
  // Verified before anything stops: a damaged archive refuses the rollback while the current version still runs.
  const snap = { podman: engine.podman, dataDir: engine.settings.dataDir };
  for (const m of chosen) {
    await verifySnapshot(snap, m).catch((err: Error) => {
      throw new RollbackError(
        `the data of release ${target.number} cannot be restored: ${err.message}; nothing was changed (see hiy snapshot list)`,
        { cause: err },
      );
    });
  }
  return chosen.map((m) => ({ volume: m.volume, snapshot: m.id }));
}

/** What a rollback settled while planning: the releases it goes from and to, and the pin it sets. */
interface RollbackTarget {
  id: string;
  current: Release;
  target: Release;
  pin: Pin;
}

/** The release to go back to, and the pin that keeps it; throws RollbackError when there is none. */
async function chooseTarget(
  engine: Engine,
  req: RollbackRequest,
  stateRepo: DesiredState,
): Promise<RollbackTarget & { releases: Release[]; workload: DesiredWorkload }> {
  const id = resolveResource(
    req.name,
    stateRepo.workloads.map((w) => w.id),
  );
  const releases = await engine.stores.releases.list(id);
  const current = releases.at(-1);
  if (!current) throw new RollbackError(`${id} has no releases yet; nothing to roll back to`);
  // By default the newest earlier release that runs something else: a restart (or an apply that changed
  // nothing the container runs) recorded a release of the same spec, and going back to it would be a no-op.
  const targetNumber =
    req.to ??
    [...releases].reverse().find((r) => r.number < current.number && r.specHash !== current.specHash)
      ?.number ??
    current.number - 1;
  const target = releases.find((r) => r.number === targetNumber);
  if (!target) {
    throw new RollbackError(
      `${id} has no release ${targetNumber}; releases: ${releases.map((r) => r.number).join(', ')} (hiy releases ${req.name})`,
    );
  }
  if (target.number === current.number)
    throw new RollbackError(`${id} already runs release ${current.number}`);
  if (!target.workload) {
    throw new RollbackError(
      `release ${target.number} of ${id} was recorded before HIY kept full release specs; it cannot be redeployed`,
    );
  }
  const ownVersion = stateRepo.workloads.find((w) => w.id === id)!;
  const pin: Pin = {
    resource: id,
    release: target.number,
    workload: target.workload,
    ignoredHash: workloadHash(ownVersion),
    ignoredCommit: stateRepo.commit,
    pinnedAt: new Date().toISOString(),
    withData: req.withData,
  };
  return { id, current, target, pin, releases, workload: target.workload };
}

/**
 * The rollback's plan, as hiy apply plans (pins, secrets, networks, data versions) with the new pin, narrowed
 * to the resource; `withData` asks the planner to restore the target's data on the replace.
 */
async function planRollback(
  engine: Engine,
  req: RollbackRequest,
  onTarget: (t: RollbackTarget) => void,
): Promise<Planned> {
  const { stateRepo, observed } = await readPlanInputs(engine, { forApply: true });
  const history = await readHistory(engine, stateRepo);
  const chosen = await chooseTarget(engine, req, stateRepo);
  const { id, target, workload } = chosen;
  onTarget(chosen);
  const allPins = { ...(history.pins ?? {}), [id]: chosen.pin };
  const digests = await secretDigestsFor(engine, stateRepo, allPins);
  const pinnedHistory = { ...history, pins: allPins, secretDigests: digests };
  const planned = planFromHistory(engine, { stateRepo, observed, history: pinnedHistory });
  if (req.withData && workload.volumes.length === 0)
    throw new RollbackError(`${id} has no volumes: --with-data has nothing to restore`);
  if (
    req.withData &&
    !planned.plan.actions.some((a) => a.resource === id && a.kind === 'container.replace')
  ) {
    throw new RollbackError(
      `${id} already runs the spec of release ${target.number}; to put back only data, use hiy snapshot restore`,
    );
  }
  const restoreData = req.withData
    ? await dataOf(
        engine,
        chosen.releases,
        target,
        workload.volumes.map((v) => v.volumeName),
      )
    : undefined;
  // The data to restore is a plan request: the planner puts it, and the migrate steps from its version, on
  // the replace; nothing edits the plan afterwards.
  const request: PlanRequest | undefined = restoreData
    ? {
        restore: { [id]: { data: restoreData, dataVersion: await restoredDataVersion(engine, restoreData) } },
      }
    : undefined;
  const final = request
    ? planFromHistory(engine, { stateRepo, observed, history: pinnedHistory, request })
    : planned;
  const plan = scopePlan(final.plan, id, observed.proxy.state);
  await checkDataVersions(engine, { stateRepo, desired: final.desired, plan, ...(request && { request }) });
  return { ...final, plan };
}

/**
 * Rolls a resource back to an earlier release, under the apply lock (the operation runner). Only that resource
 * changes: the plan is narrowed to it. Stateful resources go through the stop-first upgrade (snapshot of the
 * current data first, health gate, automatic restore on failure); `withData` restores the target's data after
 * that snapshot. On success the resource is pinned to the release.
 */
export async function rollback(
  engine: Engine,
  req: RollbackRequest,
  view?: OperationView,
): Promise<RollbackOutcome> {
  let chosen: RollbackTarget | undefined;
  const { planned, result, value } = await runOperation(engine, {
    plan: () =>
      planRollback(engine, req, (t) => {
        chosen = t;
      }),
    ...(view && { view }),
    record: () => ({ scope: [chosen!.id], cause: 'rollback', rolledBackTo: chosen!.target.number }),
    finish: async (_planned, applied) => {
      const { id, current, target, pin } = chosen!;
      if (applied.ok) await engine.stores.pins.set(pin);
      // Under the lock, like every writer of the event log; the daemon tails it to its subscribers.
      await engine.stores.events.append([
        {
          type: applied.ok ? 'rollback.finished' : 'resource.failed',
          resource: id,
          message: applied.ok
            ? `${id} rolled back from release ${current.number} to ${target.number}${req.withData ? ' with its data' : ''}; pinned`
            : `rollback of ${id} to release ${target.number} failed; the previous version runs again`,
          data: { from: current.number, to: target.number, withData: req.withData, ok: applied.ok },
        },
      ]);
      return chosen!;
    },
  });
  return {
    resource: value.id,
    from: value.current.number,
    to: value.target.number,
    plan: planned.plan,
    result,
    pinned: result.ok,
  };
}

/** `hiy unpin`: the state repo's version of the resource applies again at the next apply. */
export async function unpin(engine: Engine, name: string): Promise<Pin | undefined> {
  return withApplyLock(engine, async () => {
    const store = engine.stores.pins;
    const pins = await store.read();
    const id = resolveWorkloadName(name, Object.keys(pins));
    if (!id) return undefined;
    return (await store.remove([id]))[0];
  });
}
