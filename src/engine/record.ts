// Recording one apply's outcome in the data directory: status and conditions, releases, data versions, events.
import type { ApplyResult } from '../apply/apply.js';
import { errorMessage } from '../model/errors.js';
import type { ControllerEvent } from '../model/events.js';
import { LABEL_SPEC_HASH } from '../model/labels.js';
import type { StoredStatus } from '../model/status.js';
import type { Plan } from '../plan/types.js';
import type { Release } from '../store/releases.js';
import type { BackoffPolicy } from './backoff.js';
import { markReconciling, recordConditions, setCondition } from './conditions.js';
import type { Engine } from './context.js';
import type { Planned } from './planning.js';

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

/** Before an apply with actions: its resources are Reconciling, persisted so `hiy status` shows a long run. */
export async function recordApplying(engine: Engine, plan: Plan, now: Date): Promise<void> {
  if (plan.actions.length === 0) return;
  const status = await engine.stores.status.read();
  if (markReconciling(status, plan, now)) await engine.stores.status.write(status);
}

/**
 * After an apply whose outcome could not be recorded (the apply or the recording threw): no resource of the
 * plan stays `Reconciling=True`, and the error is the last one. Never throws over the error that got here: a
 * failure to write is logged.
 */
export async function recordUnfinished(
  engine: Engine,
  plan: Plan,
  error: unknown,
  opts: Pick<RecordOptions, 'scope' | 'clock'>,
): Promise<void> {
  if (plan.actions.length === 0) return;
  const message = errorMessage(error);
  const now = (opts.clock ?? (() => new Date()))();
  try {
    const status = await engine.stores.status.read();
    for (const id of new Set(plan.actions.map((a) => a.resource as string))) {
      const rec = status.resources[id];
      if (!rec?.conditions?.some((c) => c.type === 'Reconciling' && c.status === 'True')) continue;
      setCondition(
        rec,
        { type: 'Reconciling', status: 'False', reason: 'Failed', message: `the run failed: ${message}` },
        now,
      );
    }
    if (!opts.scope) {
      status.lastAttemptedCommit = plan.commit;
      status.lastAttemptedAt = now.toISOString();
      status.lastError = message;
    }
    await engine.stores.status.write(status);
  } catch (err) {
    engine.logger.error(
      { error: errorMessage(err), run: message },
      'could not record the end of a failed run',
    );
  }
}

/**
 * Records an apply's outcome: status (applied commits, conditions, backoff; `lastError` is written by the
 * conditions alone), a release per container created or replaced, the data versions its volumes now hold,
 * and the events of the run. Call it holding the apply lock.
 */
export async function recordOutcome(
  engine: Engine,
  planned: Planned,
  applied: { result: ApplyResult; snapshotsBy: ReadonlyMap<string, string[]> },
  opts: RecordOptions = {},
): Promise<ControllerEvent[]> {
  const { plan } = planned;
  const { result } = applied;
  const finishedAt = (opts.clock ?? (() => new Date()))();
  const scope = opts.scope ? new Set(opts.scope) : undefined;
  const status = await engine.stores.status.read();
  recordApplied(status, planned, result, { finishedAt, ...(scope && { scope }) });
  await recordReleases(engine, planned, applied, { finishedAt, opts });
  if (!scope) recordBoxOutcome(status, planned, result, finishedAt.toISOString());
  const drafts = recordConditions(status, {
    desired: planned.desired,
    plan,
    result,
    deferred: deferredBackoff(plan),
    now: finishedAt,
    policy: opts.backoff,
    ...(scope && { scope }),
    ...(engine.settings.limitsNotEnforced !== undefined && {
      limitsNotEnforced: engine.settings.limitsNotEnforced,
    }),
  });
  await engine.stores.status.write(status);
  // Appended under the apply lock (the caller holds it), which orders writers across processes.
  const events = await engine.stores.events.append(drafts);
  opts.onRecorded?.(events);
  return events;
}

/** Resources the plan left out because they back off: their records keep their backoff. */
function deferredBackoff(plan: Plan) {
  return new Map((plan.deferred ?? []).map((d) => [d.resource, d.backoff]));
}

/** Each in-scope workload converged by this apply: its applied commit, spec hash, image, served certificate. */
function recordApplied(
  status: StoredStatus,
  planned: Planned,
  result: ApplyResult,
  at: { finishedAt: Date; scope?: ReadonlySet<string> },
): void {
  const { plan } = planned;
  const now = at.finishedAt.toISOString();
  const deferred = deferredBackoff(plan);
  if (!at.scope) {
    status.lastAttemptedCommit = plan.commit;
    status.lastAttemptedAt = now;
  }
  const byAddress = new Map(plan.actions.map((a) => [a.address, a]));
  const touched = new Set(plan.actions.map((a) => a.resource as string));
  const failed = new Set(
    result.results.flatMap((r) => (r.status === 'failed' ? [byAddress.get(r.address)?.resource] : [])),
  );
  for (const w of planned.desired.workloads) {
    if ((at.scope && !at.scope.has(w.id)) || deferred.has(w.id)) continue;
    const rec = status.resources[w.id] ?? {};
    if (!failed.has(w.id) && (result.ok || !touched.has(w.id))) {
      rec.lastAppliedCommit = plan.commit;
      rec.lastAppliedAt = rec.specHash === w.specHash && rec.lastAppliedAt ? rec.lastAppliedAt : now;
      rec.specHash = w.specHash;
      rec.image = w.image;
    }
    status.resources[w.id] = rec;
  }
  const done = new Set(result.results.filter((r) => r.status === 'done').map((r) => r.address));
  // A reloaded certificate, by container: the next plan compares Caddy's with it (plan/certificates.ts).
  for (const a of plan.actions)
    if (a.kind === 'certificate.reload' && done.has(a.address) && status.resources[a.resource])
      status.resources[a.resource]!.certificate = { container: a.container.id, digest: a.digest };
}

/** The box-wide record of an unscoped apply: removed resources forgotten, the applied commit or the error. */
function recordBoxOutcome(status: StoredStatus, planned: Planned, result: ApplyResult, now: string): void {
  const desiredIds = new Set(planned.desired.workloads.map((w) => w.id as string));
  if (result.ok) {
    for (const id of Object.keys(status.resources)) if (!desiredIds.has(id)) delete status.resources[id];
    status.lastAppliedCommit = planned.plan.commit;
    status.lastAppliedAt = now;
    delete status.lastError;
    return;
  }
  const byAddress = new Map(planned.plan.actions.map((a) => [a.address, a]));
  const errors = new Map<string, string>();
  for (const r of result.results) {
    const action = byAddress.get(r.address);
    if (r.status === 'failed' && action) errors.set(action.resource, r.error ?? 'failed');
  }
  // One failure shared by several resources (Caddy refused its config) is said once.
  status.lastError = [...new Set(errors.values())].join('; ');
}

/** A release for each container created or replaced, and the data version its Port's volumes now hold. */
async function recordReleases(
  engine: Engine,
  planned: Planned,
  applied: { result: ApplyResult; snapshotsBy: ReadonlyMap<string, string[]> },
  at: { finishedAt: Date; opts: RecordOptions },
): Promise<void> {
  const { plan } = planned;
  const { result, snapshotsBy } = applied;
  const { opts } = at;
  const done = new Set(result.results.filter((r) => r.status === 'done').map((r) => r.address));
  const startedRun = new Map(result.results.flatMap((r) => (r.run ? [[r.address, r.run] as const] : [])));
  const workloads = new Map(planned.desired.workloads.map((w) => [w.id as string, w]));
  for (const a of plan.actions) {
    if ((a.kind !== 'container.create' && a.kind !== 'container.replace') || !done.has(a.address)) continue;
    const workload = workloads.get(a.resource);
    if (workload?.port && workload.volumes.length > 0) {
      const volumes = workload.volumes.map((v) => v.volumeName);
      await engine.stores.dataVersions.set(volumes, workload.port.dataVersion, a.resource, at.finishedAt);
    }
    await engine.stores.releases.record({
      resource: a.resource,
      stateCommit: plan.commit,
      image: a.run.image,
      specHash: a.run.labels[LABEL_SPEC_HASH] ?? '',
      run: {
        ...(startedRun.get(a.address) ?? a.run),
        name: a.kind === 'container.replace' ? a.finalName : a.run.name,
      },
      ...(workload && { workload }),
      snapshots: snapshotsBy.get(a.address) ?? [],
      ...(a.kind === 'container.replace' && a.restoreData?.length
        ? { restoredSnapshots: a.restoreData.map((r) => r.snapshot) }
        : {}),
      appliedAt: at.finishedAt.toISOString(),
      cause: opts.cause ?? 'apply',
      ...(opts.rolledBackTo !== undefined && { rolledBackTo: opts.rolledBackTo }),
    });
  }
}
