// The one operation runner: lock → recover → plan → mass-delete guard → apply → record → "applied". Every
// caller (hiy apply, the git hooks, the daemon's run, rollback, restart, the API through them) goes through it.
import { type ApplyResult, applyPlan } from '../apply/apply.js';
import type { ApplyListener } from '../apply/events.js';
import { ownershipLabels } from '../model/labels.js';
import { instanceNetwork } from '../model/names.js';
import { publishApplied } from './applied.js';
import { withApplyLock } from './applyLock.js';
import type { Engine } from './context.js';
import { assertSafeToApply, type SafetyOptions } from './guard.js';
import { keepPreviousLogs } from './keepLogs.js';
import type { LockWait } from './lockWait.js';
import type { Planned } from './planning.js';
import { type RecordOptions, recordApplying, recordOutcome, recordUnfinished } from './record.js';
import type { OperationView } from './views.js';

/** One operation: how it plans, whether the plan is judged, how it is recorded and shown. */
export interface Operation<T = undefined> {
  /** Plans, holding the lock after recovery: `computePlan(engine, { forApply: true })`, a saved plan verified… */
  plan(): Promise<Planned>;
  /** Refuse a mass delete or an over-capacity plan unless allowed; absent: not judged (a plan narrowed to one resource). */
  guard?: SafetyOptions;
  /** How the outcome is recorded; a function when it depends on the plan (a rollback's resource and release). */
  record?: RecordOptions | ((planned: Planned) => RecordOptions);
  view?: OperationView;
  /** After the plan was judged safe, before the apply (the daemon's `reconcile.started` event). */
  starting?(planned: Planned): Promise<void>;
  /** After the outcome is recorded and the "applied" subscribers told, still holding the lock. */
  finish?(planned: Planned, result: ApplyResult): Promise<T>;
}

export interface OperationResult<T> {
  planned: Planned;
  result: ApplyResult;
  /** What `finish` returned. */
  value: T;
}

/** Runs an operation holding the apply lock (waiting as `wait` says, else as the engine's defaults). */
export function runOperation<T = undefined>(
  engine: Engine,
  op: Operation<T>,
  wait?: Partial<LockWait>,
): Promise<OperationResult<T>> {
  return withApplyLock(engine, () => runLocked(engine, op), {
    ...(wait && { wait }),
    ...(op.view && { view: op.view }),
  });
}

/** Runs an operation whose caller holds the apply lock already (the daemon takes it once per batch). */
export async function runLocked<T = undefined>(
  engine: Engine,
  op: Operation<T>,
): Promise<OperationResult<T>> {
  const planned = await op.plan();
  op.view?.planned?.(planned);
  if (op.guard) assertSafeToApply(planned.plan, op.guard);
  await op.starting?.(planned);
  const record = typeof op.record === 'function' ? op.record(planned) : op.record;
  const result = await applyAndRecord(engine, planned, op.view?.applyEvent?.bind(op.view), record);
  const value = (await op.finish?.(planned, result)) as T;
  return { planned, result, value };
}

/**
 * Applies a plan and records its outcome, then tells the "applied" subscribers. Call it holding the apply lock.
 * The status is settled in a `finally`: whatever throws while applying or recording, no resource is left
 * `Reconciling`.
 */
export async function applyAndRecord(
  engine: Engine,
  planned: Planned,
  onEvent?: ApplyListener,
  opts: RecordOptions = {},
): Promise<ApplyResult> {
  const { plan } = planned;
  const clock = opts.clock ?? (() => new Date());
  engine.logger.info({ commit: plan.commit, actions: plan.actions.length }, 'apply started');
  await recordApplying(engine, plan, clock());
  let recorded = false;
  let failure: unknown;
  let result: ApplyResult;
  try {
    const snapshotsBy = new Map<string, string[]>();
    result = await applyPlanned(engine, planned, (e) => {
      if (e.type === 'snapshot.taken')
        snapshotsBy.set(e.action.address, [...(snapshotsBy.get(e.action.address) ?? []), e.manifest.id]);
      onEvent?.(e);
    });
    await recordOutcome(engine, planned, { result, snapshotsBy }, opts);
    recorded = true;
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    if (!recorded) await recordUnfinished(engine, plan, failure, opts);
  }
  await publishApplied(engine, { planned, result, ...(opts.scope && { scope: opts.scope }) });
  engine.logger.info({ commit: plan.commit, ok: result.ok }, 'apply finished');
  return result;
}

/** Executes a plan with the engine's drivers (nothing to do: an empty result, no call made). */
function applyPlanned(engine: Engine, planned: Planned, onEvent: ApplyListener): Promise<ApplyResult> {
  const { plan } = planned;
  if (plan.actions.length === 0) return Promise.resolve({ ok: true, results: [], caddyWrites: 0 });
  return applyPlan(plan, {
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
    onEvent,
  });
}
