// One reconcile run of the daemon: plan (resources that back off left out), apply, record status and events.
import type { Logger } from 'pino';
import type { ApplyEvent } from '../apply/events.js';
import type { DesiredState } from '../desired/types.js';
import type { BackoffPolicy } from '../engine/backoff.js';
import {
  applyAndRecord,
  assertSafeToApply,
  computePlan,
  type Engine,
  MassDeleteError,
  OverCapacityError,
  type Planned,
} from '../engine/engine.js';
import type { ControllerEvent, ReconcileOutcome, Trigger } from '../model/events.js';
import type { PlanHistory } from '../plan/plan.js';
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
  let planned: Planned;
  try {
    const hits = opts.observation?.memoryHits ?? 0;
    planned = await computePlan(engine, { backoffAt: clock(), forApply: true });
    if (opts.observation && opts.observation.memoryHits > hits && planned.plan.actions.length > 0) {
      log.debug('a plan made from memory changes the box: planning again from fresh listings');
      opts.observation.invalidate();
      planned = await computePlan(engine, { backoffAt: clock(), forApply: true });
    }
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    const status = await store.read();
    const repeated = status.lastError === error;
    status.lastError = error;
    status.lastAttemptedAt = clock().toISOString();
    await store.write(status);
    // Logged and recorded once per distinct error, not at every resync while it lasts.
    if (!repeated) {
      log.error({ error }, 'reconcile failed before planning');
      await record([
        { type: 'reconcile.failed', message: `cannot plan: ${error}`, data: { error, triggers: why } },
      ]);
    }
    return { ok: false, actions: 0, error };
  }
  opts.onPlanned?.(planned.desired, planned.history);
  const { plan } = planned;
  const deferred = (plan.deferred ?? []).map((d) => d.resource);
  try {
    assertSafeToApply(plan, { allowMassDelete: false });
  } catch (err) {
    if (!(err instanceof MassDeleteError) && !(err instanceof OverCapacityError)) throw err;
    const status = await store.read();
    const repeated = status.lastError === err.message;
    status.lastError = err.message;
    status.lastAttemptedCommit = plan.commit;
    status.lastAttemptedAt = clock().toISOString();
    await store.write(status);
    if (!repeated) {
      log.error(
        { error: err.message },
        err instanceof MassDeleteError ? 'mass delete refused' : 'plan over capacity refused',
      );
      await record([
        {
          type: 'reconcile.failed',
          message: err.message,
          data: { commit: plan.commit, error: err.message },
        },
      ]);
    }
    return { ok: false, commit: plan.commit, actions: 0, error: err.message };
  }
  if (plan.actions.length > 0) {
    log.info(
      { commit: plan.commit, actions: plan.actions.length, triggers: why, deferred },
      'reconcile started',
    );
    await record([
      {
        type: 'reconcile.started',
        message: `applying ${plan.actions.length} action(s) of commit ${plan.commit.slice(0, 12)}`,
        data: { commit: plan.commit, actions: plan.actions.length, triggers: why, deferred },
      },
    ]);
  }
  const result = await applyAndRecord(engine, planned, (e) => logApplyEvent(log, e), {
    backoff: opts.backoff,
    clock,
    onRecorded: publish,
  });
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
  if (opts.onBackoff) {
    const after = await store.read();
    for (const rec of Object.values(after.resources))
      if (rec.backoff) opts.onBackoff(new Date(rec.backoff.retryAt));
  }
  return { ok: result.ok, commit: plan.commit, actions: plan.actions.length, ...(error ? { error } : {}) };
}

function logApplyEvent(log: Logger, e: ApplyEvent): void {
  if (e.type === 'action.started') log.info({ address: e.action.address }, 'action started');
  else if (e.type === 'action.finished')
    log.info({ address: e.action.address, ms: e.ms, note: e.note }, 'action finished');
  else if (e.type === 'action.failed')
    log.warn({ address: e.action.address, ms: e.ms, error: e.error }, 'action failed');
  else if (e.type === 'caddy.loaded') log.info({ routes: e.routes, ms: e.ms }, 'caddy loaded');
}
