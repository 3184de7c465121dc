// One reconcile run of the daemon: plan (resources that back off left out), apply, record status and events.
import type { Logger } from 'pino';
import type { ApplyResult } from '../apply/apply.js';
import type { DesiredState } from '../desired/types.js';
import type { BackoffPolicy } from '../engine/backoff.js';
import {
  computePlan,
  type Engine,
  isRefusal,
  logView,
  MassDeleteError,
  type OperationResult,
  type OverCapacityError,
  runLocked,
} from '../engine/engine.js';
import { errorMessage } from '../model/errors.js';
import type { ControllerEvent, ReconcileOutcome, Trigger } from '../model/events.js';
import type { PlanHistory } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import type { EventDraft, EventLog } from '../store/events.js';

/** What one run needs; the daemon passes its own, a test passes fakes. */
export interface ReconcileRunOptions {
  engine: Engine;
  /** The event history the run appends to (under the apply lock the caller holds). */
  events: EventLog;
  logger: Logger;
  /** The clock: backoff is judged by it, durations and timestamps come from it. */
  clock: () => Date;
  /** How long resources that fail in this run back off. */
  backoff: BackoffPolicy;
  /** What woke the run (coalesced by the queue). */
  triggers: Trigger[];
  /**
   * Events prepared before the run (scheduled snapshots), appended first. Taken: the array is emptied, so a
   * run retried with the same array does not append them twice.
   */
  earlier?: EventDraft[];
  /** Receives the events of the run: those appended to the history, and a live-only no-op finish (seq 0). */
  publish?: (events: ControllerEvent[]) => void;
  /** Told the desired state the run planned from and its history (snapshot schedules, the certificate watch). */
  onPlanned?: (desired: DesiredState, history: PlanHistory) => void;
  /** Told each backoff's retry time after the run, so the caller can wake up when the earliest expires. */
  onBackoff?: (retryAt: Date) => void;
  /**
   * The observation cache the engine observes through (the daemon's): a plan made from memory that changes
   * anything is made again from fresh listings, so nothing is created, replaced or removed on its word alone.
   */
  observation?: { readonly memoryHits: number; invalidate(): void };
}

/**
 * One reconcile: reads the state repo, observes the box and plans with backoff honoured (a resource whose
 * apply failed for the same spec is left out until its retry time, so the rest converges); refuses a mass
 * delete; applies and records status, conditions and events. Call it holding the apply lock. Failures to
 * plan or to apply are the outcome, never thrown; they are logged and recorded once per distinct error.
 */
export async function reconcileOnce(opts: ReconcileRunOptions): Promise<ReconcileOutcome> {
  const { engine, events, clock } = opts;
  const log = opts.logger;
  const store = engine.stores.status;
  const publish = opts.publish ?? (() => undefined);
  const record = async (drafts: EventDraft[]) => publish(await events.append(drafts));
  const started = clock().getTime();
  const why = [...new Set(opts.triggers.map((t) => (t.detail ? `${t.kind}:${t.detail}` : t.kind)))];
  log.debug({ triggers: why }, 'reconcile');
  const earlier = opts.earlier?.splice(0) ?? [];
  if (earlier.length > 0) await record(earlier);
  // Which step threw: a failure to plan and the guard's refusal are the run's outcome, not exceptions.
  let stage: 'plan' | 'guard' | 'apply' = 'plan';
  let commit = '';
  let applied: OperationResult<undefined>;
  try {
    applied = await runLocked(engine, {
      plan: async () => {
        const hits = opts.observation?.memoryHits ?? 0;
        const first = await computePlan(engine, { backoffAt: clock(), forApply: true });
        if (!opts.observation || opts.observation.memoryHits <= hits || first.plan.actions.length === 0)
          return first;
        log.debug('a plan made from memory changes the box: planning again from fresh listings');
        opts.observation.invalidate();
        return computePlan(engine, { backoffAt: clock(), forApply: true });
      },
      guard: { allowMassDelete: false },
      view: {
        ...logView(log),
        planned: (planned) => {
          stage = 'guard';
          commit = planned.plan.commit;
          opts.onPlanned?.(planned.desired, planned.history);
        },
      },
      starting: async ({ plan }) => {
        stage = 'apply';
        await recordStarted(plan, why, { log, record });
      },
      record: { backoff: opts.backoff, clock, onRecorded: publish },
    });
  } catch (err) {
    if (stage === 'plan') return planFailed(err, { ...opts, why, record });
    if (stage === 'guard' && isRefusal(err)) return refused(err, commit, { ...opts, record });
    throw err;
  }
  const { planned, result } = applied;
  const { plan } = planned;
  const error = await recordFinished(planned.plan, result, { ...opts, why, record, publish, started });
  if (opts.onBackoff) {
    const after = await store.read();
    for (const rec of Object.values(after.resources))
      if (rec.backoff) opts.onBackoff(new Date(rec.backoff.retryAt));
  }
  return { ok: result.ok, commit: plan.commit, actions: plan.actions.length, ...(error ? { error } : {}) };
}

/** The run's end: logged and recorded (a run with nothing to do is only published, live); returns its error. */
async function recordFinished(
  plan: Plan,
  result: ApplyResult,
  ctx: ReconcileRunOptions & {
    why: string[];
    started: number;
    record: (drafts: EventDraft[]) => Promise<void>;
    publish: (events: ControllerEvent[]) => void;
  },
): Promise<string | undefined> {
  const { clock, why, record, publish } = ctx;
  const log = ctx.logger;
  const started = ctx.started;
  const ms = clock().getTime() - started;
  const failed = result.results.filter((r) => r.status === 'failed');
  const error = failed.map((r) => `${r.address}: ${r.error}`).join('; ') || undefined;
  const kindOf = new Map(plan.actions.map((a) => [a.address, a.kind]));
  const results = result.results.map((r) => ({ kind: kindOf.get(r.address), status: r.status }));
  if (plan.actions.length === 0) {
    publish([
      {
        seq: 0,
        at: clock().toISOString(),
        type: 'reconcile.finished',
        message: `commit ${plan.commit.slice(0, 12)}: no changes`,
        data: { commit: plan.commit, actions: 0, ok: true, ms, triggers: why, results: [] },
      },
    ]);
  } else {
    log.info({ commit: plan.commit, ok: result.ok, ms }, 'reconcile finished');
    await record([
      {
        type: result.ok ? 'reconcile.finished' : 'reconcile.failed',
        message: result.ok
          ? `commit ${plan.commit.slice(0, 12)} applied in ${(ms / 1000).toFixed(1)}s (${plan.actions.length} action(s))`
          : `apply of commit ${plan.commit.slice(0, 12)} failed: ${error}`,
        data: {
          commit: plan.commit,
          actions: plan.actions.length,
          ok: result.ok,
          ms,
          triggers: why,
          results,
          ...(error ? { error } : {}),
        },
      },
    ]);
  }
  return error;
}

/** The run's start, logged and recorded, when it has anything to do. */
async function recordStarted(
  plan: Plan,
  why: string[],
  out: { log: Logger; record: (drafts: EventDraft[]) => Promise<void> },
): Promise<void> {
  if (plan.actions.length === 0) return;
  const deferred = (plan.deferred ?? []).map((d) => d.resource);
  out.log.info(
    { commit: plan.commit, actions: plan.actions.length, triggers: why, deferred },
    'reconcile started',
  );
  await out.record([
    {
      type: 'reconcile.started',
      message: `applying ${plan.actions.length} action(s) of commit ${plan.commit.slice(0, 12)}`,
      data: { commit: plan.commit, actions: plan.actions.length, triggers: why, deferred },
    },
  ]);
}

/** A run that could not plan: its error is the outcome, recorded once per distinct error. */
async function planFailed(
  err: unknown,
  ctx: ReconcileRunOptions & { why: string[]; record: (drafts: EventDraft[]) => Promise<void> },
): Promise<ReconcileOutcome> {
  const error = errorMessage(err);
  const store = ctx.engine.stores.status;
  const status = await store.read();
  const repeated = status.lastError === error;
  status.lastError = error;
  status.lastAttemptedAt = ctx.clock().toISOString();
  await store.write(status);
  // Logged and recorded once per distinct error, not at every resync while it lasts.
  if (!repeated) {
    ctx.logger.error({ error }, 'reconcile failed before planning');
    await ctx.record([
      { type: 'reconcile.failed', message: `cannot plan: ${error}`, data: { error, triggers: ctx.why } },
    ]);
  }
  return { ok: false, actions: 0, error };
}

/** A plan the guard refused (mass delete, over capacity): the outcome, recorded once per distinct refusal. */
async function refused(
  err: MassDeleteError | OverCapacityError,
  commit: string,
  ctx: ReconcileRunOptions & { record: (drafts: EventDraft[]) => Promise<void> },
): Promise<ReconcileOutcome> {
  const store = ctx.engine.stores.status;
  const status = await store.read();
  const repeated = status.lastError === err.message;
  status.lastError = err.message;
  status.lastAttemptedCommit = commit;
  status.lastAttemptedAt = ctx.clock().toISOString();
  await store.write(status);
  if (!repeated) {
    ctx.logger.error(
      { error: err.message },
      err instanceof MassDeleteError ? 'mass delete refused' : 'plan over capacity refused',
    );
    await ctx.record([
      { type: 'reconcile.failed', message: err.message, data: { commit, error: err.message } },
    ]);
  }
  return { ok: false, commit, actions: 0, error: err.message };
}
