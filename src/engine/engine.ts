import { pruneDashboardAccess } from '../access/dashboardAccess.js';
import { syncAccountKeys } from '../access/sshAccount.js';
import { type ApplyResult, applyPlan } from '../apply/apply.js';
import type { ApplyListener } from '../apply/events.js';
import { type ApplyLock, acquireApplyLock, LockBusyError } from '../apply/lock.js';
import { recover } from '../apply/recover.js';
import { HiyError } from '../model/errors.js';
import type { ControllerEvent } from '../model/events.js';
import { ownershipLabels } from '../model/labels.js';
import { instanceNetwork } from '../model/names.js';
import type { Plan } from '../plan/types.js';
import type { Release } from '../store/releases.js';
import type { BackoffPolicy } from './backoff.js';
import { markReconciling, recordConditions } from './conditions.js';
import type { Engine } from './context.js';
import { keepPreviousLogs } from './keepLogs.js';
import type { Planned } from './planning.js';

export type { Engine } from './context.js';
export {
  computePlan,
  type EffectiveState,
  effectiveDesired,
  loadDesired,
  type Planned,
  type PlanOptions,
  planFromHistory,
  readHistory,
  readPlanInputs,
  reposDir,
  StalePlanError,
  type StateSource,
  secretDigestsFor,
  verifySavedPlan,
  viewDesired,
} from './planning.js';

/** A plan that removes most of what HIY manages, applied without --allow-mass-delete. */
export class MassDeleteError extends HiyError<{ removing: string[]; managed: number }> {
  constructor(data: { removing: string[]; managed: number }) {
    super(
      'MASS_DELETE_REFUSED',
      `refusing to remove ${data.removing.length} of the ${data.managed} resources HIY manages at once (${data.removing.join(', ')}); ` +
        'if the state repo really means it, apply with --allow-mass-delete (volumes are kept either way)',
      { data },
    );
    this.name = 'MassDeleteError';
  }
}

/** A plan whose containers do not fit the box (Plan.capacity), applied without --allow-over-capacity. */
export class OverCapacityError extends HiyError<{ problems: readonly string[] }> {
  constructor(data: { problems: readonly string[] }) {
    super(
      'OVER_CAPACITY_REFUSED',
      `refusing a plan that does not fit this box: ${data.problems.join('; ')}; nothing was changed. ` +
        'Declare smaller resources.memory, remove resources or free the box; to start them anyway, apply with --allow-over-capacity',
      { data },
    );
    this.name = 'OverCapacityError';
  }
}

/**
 * Refuses a plan that would remove more than half of the managed resources, or whose containers do not fit the
 * box (it would fail halfway and thrash), unless allowed. Nothing has been changed when it throws.
 */
export function assertSafeToApply(
  plan: Plan,
  opts: { allowMassDelete: boolean; allowOverCapacity?: boolean },
): void {
  if (plan.massDelete && !opts.allowMassDelete) throw new MassDeleteError(plan.massDelete);
  if (plan.capacity?.verdict === 'exceeded' && !opts.allowOverCapacity)
    throw new OverCapacityError({ problems: plan.capacity.problems });
}

/** Takes the apply lock, waiting up to `engine.lockWaitMs` while another run (the daemon's) holds it. */
async function acquireWaiting(engine: Engine): Promise<ApplyLock> {
  const deadline = Date.now() + (engine.lockWaitMs ?? 0);
  let told = false;
  for (;;) {
    try {
      return await acquireApplyLock(engine.settings.dataDir);
    } catch (err) {
      if (!(err instanceof LockBusyError) || Date.now() >= deadline) throw err;
      if (!told) engine.onLockWait?.(err);
      told = true;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Runs fn holding the box-wide apply lock (plan and apply must both happen under it). */
export async function withApplyLock<T>(engine: Engine, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireWaiting(engine);
  if (lock.tookOver) engine.logger.warn({ stale: lock.tookOver }, 'took over a stale apply lock');
  try {
    const recovery = await recover({
      podman: engine.podman,
      dataDir: engine.settings.dataDir,
      instance: engine.settings.instance,
      journal: engine.stores.journal,
    });
    for (const step of recovery.steps) engine.logger.warn({ step }, 'recovered an interrupted step');
    if (recovery.discardedSnapshots.length)
      engine.logger.warn({ dirs: recovery.discardedSnapshots }, 'discarded incomplete snapshots');
    engine.onRecovery?.(recovery);
    return await fn();
  } finally {
    await lock.release();
  }
}

/** How an apply came about; recorded with its releases. */
export interface RecordOptions {
  /** Only these resources' records change (a rollback touches one resource; others may have pending changes). */
  scope?: string[];
  cause?: Release['cause'];
  rolledBackTo?: number;
  backoff?: BackoffPolicy;
  /** The clock records and backoff are stamped with (default: the system clock). */
  clock?: () => Date;
  /** Receives the events written to the history (the daemon streams them to subscribers). */
  onRecorded?: (events: ControllerEvent[]) => void;
}

/** Applies a plan and records the outcome in the data directory. Call it inside withApplyLock. */
export async function applyAndRecord(
  engine: Engine,
  planned: Planned,
  onEvent?: ApplyListener,
  opts: RecordOptions = {},
): Promise<ApplyResult> {
  const store = engine.stores.status;
  const { plan } = planned;
  const clock = opts.clock ?? (() => new Date());
  // Resources the plan left out because they back off: their records keep their backoff.
  const deferred = new Map((plan.deferred ?? []).map((d) => [d.resource, d.backoff]));
  engine.logger.info({ commit: plan.commit, actions: plan.actions.length }, 'apply started');
  if (plan.actions.length > 0) {
    // Persisted before the apply, so `hiy status` shows Reconciling during a long run.
    const before = await store.read();
    if (markReconciling(before, plan, clock())) await store.write(before);
  }
  const snapshotsBy = new Map<string, string[]>();
  const result = plan.actions.length
    ? await applyPlan(plan, {
        podman: engine.podman,
        caddy: engine.caddy,
        prober: engine.prober,
        exportCommit: engine.exportCommit,
        caddyConfig: planned.observed.caddyConfig,
        dataDir: engine.settings.dataDir,
        volumes: planned.observed.volumes,
        stateCommit: plan.commit,
        journal: engine.stores.journal,
        secrets: engine.stores.secrets,
        build: engine.build,
        keepLogs: (removed) => keepPreviousLogs(engine, removed),
        network: {
          prefix: instanceNetwork(engine.settings.instance),
          labels: ownershipLabels(engine.settings.instance),
        },
        onEvent: (e) => {
          if (e.type === 'snapshot.taken') {
            snapshotsBy.set(e.action.address, [...(snapshotsBy.get(e.action.address) ?? []), e.manifest.id]);
          }
          onEvent?.(e);
        },
      })
    : { ok: true, results: [], caddyWrites: 0 };
  const scope = opts.scope ? new Set(opts.scope) : undefined;
  const inScope = (id: string) => !scope || scope.has(id);
  const status = await store.read();
  const finishedAt = clock();
  const now = finishedAt.toISOString();
  if (!scope) {
    status.lastAttemptedCommit = plan.commit;
    status.lastAttemptedAt = now;
  }
  const byAddress = new Map(plan.actions.map((a) => [a.address, a]));
  const touched = new Set(plan.actions.map((a) => a.resource as string));
  const failedByResource = new Map<string, string>();
  for (const r of result.results) {
    const action = byAddress.get(r.address);
    if (r.status === 'failed' && action) failedByResource.set(action.resource, r.error ?? 'failed');
  }
  for (const w of planned.desired.workloads) {
    if (!inScope(w.id) || deferred.has(w.id)) continue;
    const rec = status.resources[w.id] ?? {};
    const error = failedByResource.get(w.id);
    if (error) rec.lastError = error;
    else if (result.ok || !touched.has(w.id)) {
      rec.lastAppliedCommit = plan.commit;
      rec.lastAppliedAt = rec.specHash === w.specHash && rec.lastAppliedAt ? rec.lastAppliedAt : now;
      rec.specHash = w.specHash;
      rec.image = w.image;
      delete rec.lastError;
    }
    status.resources[w.id] = rec;
  }
  const releases = engine.stores.releases;
  const done = new Set(result.results.filter((r) => r.status === 'done').map((r) => r.address));
  // A reloaded certificate, by container: the next plan compares Caddy's with it (plan/certificates.ts).
  for (const a of plan.actions)
    if (a.kind === 'certificate.reload' && done.has(a.address) && status.resources[a.resource])
      status.resources[a.resource]!.certificate = { container: a.container.id, digest: a.digest };
  const startedRun = new Map(result.results.flatMap((r) => (r.run ? [[r.address, r.run] as const] : [])));
  const workloads = new Map(planned.desired.workloads.map((w) => [w.id as string, w]));
  for (const a of plan.actions) {
    if ((a.kind === 'container.create' || a.kind === 'container.replace') && done.has(a.address)) {
      const workload = workloads.get(a.resource);
      if (workload?.port && workload.volumes.length > 0) {
        const volumes = workload.volumes.map((v) => v.volumeName);
        await engine.stores.dataVersions.set(volumes, workload.port.dataVersion, a.resource, finishedAt);
      }
      await releases.record({
        resource: a.resource,
        stateCommit: plan.commit,
        image: a.run.image,
        specHash: a.run.labels['hiy.spec-hash'] ?? '',
        run: {
          ...(startedRun.get(a.address) ?? a.run),
          name: a.kind === 'container.replace' ? a.finalName : a.run.name,
        },
        ...(workload && { workload }),
        snapshots: snapshotsBy.get(a.address) ?? [],
        ...(a.kind === 'container.replace' && a.restoreData?.length
          ? { restoredSnapshots: a.restoreData.map((r) => r.snapshot) }
          : {}),
        appliedAt: now,
        cause: opts.cause ?? 'apply',
        ...(opts.rolledBackTo !== undefined && { rolledBackTo: opts.rolledBackTo }),
      });
    }
  }
  if (!scope) {
    const desiredIds = new Set(planned.desired.workloads.map((w) => w.id as string));
    for (const id of Object.keys(status.resources))
      if (!desiredIds.has(id) && result.ok) delete status.resources[id];
    if (result.ok) {
      status.lastAppliedCommit = plan.commit;
      status.lastAppliedAt = now;
      delete status.lastError;
    } else {
      // One failure shared by several resources (Caddy refused its config) is said once.
      status.lastError = [...new Set(failedByResource.values())].join('; ');
    }
  }
  const drafts = recordConditions(status, {
    desired: planned.desired,
    plan,
    result,
    deferred,
    now: finishedAt,
    policy: opts.backoff,
    ...(scope && { scope }),
    ...(engine.settings.limitsNotEnforced !== undefined && {
      limitsNotEnforced: engine.settings.limitsNotEnforced,
    }),
  });
  await store.write(status);
  // Appended under the apply lock (the caller holds it), which orders writers across processes.
  const events = await engine.stores.events.append(drafts);
  opts.onRecorded?.(events);
  const lifted = (plan.pins ?? []).filter((p) => p.state === 'lifted' && inScope(p.resource));
  if (lifted.length > 0) {
    await engine.stores.pins.remove(lifted.map((p) => p.resource));
    engine.logger.info({ resources: lifted.map((p) => p.resource) }, 'pins lifted by state repo changes');
  }
  if (!scope) {
    // The ssh account's keys follow the Users of each applied state (a removed key stops working now).
    try {
      if ((await syncAccountKeys(engine.settings.dataDir, planned.stateRepo.users)) === 'written')
        engine.logger.info({ users: planned.stateRepo.users.length }, 'ssh account authorized_keys updated');
    } catch (err) {
      engine.logger.error(
        { error: (err as Error).message },
        'could not update the ssh account authorized_keys',
      );
    }
    // A removed User loses its dashboard sessions and passkeys with the same apply.
    await pruneDashboardAccess(engine.stores, planned.stateRepo.users).catch((err: Error) =>
      engine.logger.error({ error: err.message }, 'could not prune dashboard sessions'),
    );
  }
  engine.logger.info({ commit: plan.commit, ok: result.ok }, 'apply finished');
  return result;
}
