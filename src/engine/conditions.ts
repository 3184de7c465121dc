// Status conditions (Ready / Reconciling / Stalled), backoff and events, computed from one run's outcome. Pure.
import type { ApplyResult } from '../apply/apply.js';
import type { DesiredState } from '../desired/types.js';
import type { Condition, ConditionType, ResourceRecord, StoredStatus } from '../model/status.js';
import type { DesiredWorkload } from '../model/workload.js';
import type { Plan } from '../plan/types.js';
import type { EventDraft } from '../store/events.js';
import {
  type BackoffPolicy,
  type BackoffState,
  DEFAULT_BACKOFF,
  desiredFingerprint,
  recordFailure,
} from './backoff.js';

/** Sets a condition, keeping its lastTransitionTime when its status did not change. */
export function setCondition(
  rec: ResourceRecord,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): void {
  const list = rec.conditions ?? [];
  const prev = list.find((c) => c.type === next.type);
  const cond: Condition = {
    ...next,
    lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime : now.toISOString(),
  };
  const order: ConditionType[] = ['Ready', 'Reconciling', 'Stalled', 'LimitsEnforced'];
  rec.conditions = [...list.filter((c) => c.type !== next.type), cond].sort(
    (a, b) => order.indexOf(a.type) - order.indexOf(b.type),
  );
}

export function getCondition(rec: ResourceRecord | undefined, type: ConditionType): Condition | undefined {
  return rec?.conditions?.find((c) => c.type === type);
}

const short = (c: string) => c.slice(0, 12);

/**
 * The conditions the last run recorded, corrected by what is observed now: Ready is never True for a resource
 * whose container is not running (a stop cut short leaves it `stopping`; a person may have stopped or paused it;
 * it may have crashed or been removed), whatever the last run found; Reconciling is not True when no run holds
 * the apply lock (the run was killed). Returns new conditions, the input intact.
 */
export function observedConditions(
  conditions: Condition[],
  observed: { container: { name: string; state: string } | null; runInProgress: boolean },
  now: Date,
): Condition[] {
  const { container } = observed;
  const at = now.toISOString();
  return conditions.map((c): Condition => {
    if (c.type === 'Ready' && c.status === 'True' && container?.state.toLowerCase() !== 'running')
      return {
        type: 'Ready',
        status: 'False',
        reason: container ? 'NotRunning' : 'ContainerMissing',
        message: container
          ? `container ${container.name} is ${container.state}; the next apply starts it`
          : 'its container is missing; the next apply creates it',
        lastTransitionTime: at,
      };
    if (c.type === 'Reconciling' && c.status === 'True' && !observed.runInProgress)
      return {
        type: 'Reconciling',
        status: 'False',
        reason: 'Interrupted',
        message: 'the run was interrupted; the next run recovers and applies',
        lastTransitionTime: at,
      };
    return c;
  });
}

/** Before an apply: every resource with actions is Reconciling (persisted, so `hiy status` shows it). */
export function markReconciling(status: StoredStatus, plan: Plan, now: Date): boolean {
  const counts = new Map<string, number>();
  for (const a of plan.actions)
    if (a.resource !== 'caddy') counts.set(a.resource, (counts.get(a.resource) ?? 0) + 1);
  for (const [id, n] of counts) {
    const rec = status.resources[id] ?? {};
    status.resources[id] = rec;
    setCondition(
      rec,
      {
        type: 'Reconciling',
        status: 'True',
        reason: 'Applying',
        message: `applying ${n} action(s) of commit ${short(plan.commit)}`,
      },
      now,
    );
  }
  return counts.size > 0;
}

export interface RecordInput {
  desired: DesiredState;
  /** The plan as applied (after deferring resources that back off). */
  plan: Plan;
  result: ApplyResult;
  /** Resources left out of this run because they back off, with their backoff state. */
  deferred?: ReadonlyMap<string, BackoffState>;
  now: Date;
  policy?: BackoffPolicy;
  /** Only these resources are recorded (a rollback touches one resource). */
  scope?: ReadonlySet<string>;
  /** Why this box cannot enforce resource limits (Settings.limitsNotEnforced); undefined when it can. */
  limitsNotEnforced?: string;
}

/**
 * `LimitsEnforced=False (NotEnforced)` on a workload that sets a memory or cpus limit the box cannot enforce, so
 * `hiy status` says what the plan warned of; absent otherwise (root, delegated cgroup v2, or no limit).
 */
function recordLimits(rec: ResourceRecord, w: DesiredWorkload, reason: string | undefined, now: Date): void {
  const limits = [w.memoryBytes !== undefined && 'memory', w.cpus !== undefined && 'cpus'].filter(Boolean);
  if (reason === undefined || limits.length === 0) {
    if (rec.conditions?.some((c) => c.type === 'LimitsEnforced')) {
      rec.conditions = rec.conditions.filter((c) => c.type !== 'LimitsEnforced');
    }
    return;
  }
  setCondition(
    rec,
    {
      type: 'LimitsEnforced',
      status: 'False',
      reason: 'NotEnforced',
      message: `${limits.join(' and ')} ${limits.length > 1 ? 'limits are' : 'limit is'} not enforced: ${reason}`,
    },
    now,
  );
}

/**
 * Updates conditions, backoff and last-attempted commits of every desired resource after a run, and returns
 * the events worth recording. Call after the engine updated lastApplied/lastError for the run.
 */
export function recordConditions(status: StoredStatus, input: RecordInput): EventDraft[] {
  const { desired, plan, result, now } = input;
  const events: EventDraft[] = [];
  const byAddress = new Map(plan.actions.map((a) => [a.address, a]));
  const failed = new Map<string, { error: string; backoff: boolean; rolledBack: boolean }>();
  const skipped = new Set<string>();
  const actionsBy = new Map<string, string[]>();
  for (const a of plan.actions) actionsBy.set(a.resource, [...(actionsBy.get(a.resource) ?? []), a.address]);
  for (const r of result.results) {
    const a = byAddress.get(r.address);
    if (!a) continue;
    if (r.status === 'failed') {
      const prev = failed.get(a.resource);
      // A failed Caddy load is the box's problem (Caddy down, bad config), not one resource's: no backoff.
      const backoff = (prev?.backoff ?? false) || a.kind !== 'route.change';
      failed.set(a.resource, {
        error: prev ? `${prev.error}; ${r.error}` : (r.error ?? 'failed'),
        backoff,
        rolledBack: (prev?.rolledBack ?? false) || r.rolledBack === true,
      });
    } else if (r.status === 'skipped') skipped.add(a.resource);
  }
  for (const w of desired.workloads) {
    if (input.scope && !input.scope.has(w.id)) continue;
    const rec = status.resources[w.id] ?? {};
    status.resources[w.id] = rec;
    recordLimits(rec, w, input.limitsNotEnforced, now);
    const fingerprint = desiredFingerprint(w);
    const deferred = input.deferred?.get(w.id);
    const actions = actionsBy.get(w.id) ?? [];
    if (deferred) {
      rec.backoff = deferred;
      setCondition(
        rec,
        { type: 'Ready', status: 'False', reason: 'BackingOff', message: backoffMessage(rec) },
        now,
      );
      setCondition(
        rec,
        { type: 'Reconciling', status: 'False', reason: 'Deferred', message: 'left out of this run' },
        now,
      );
      setCondition(
        rec,
        { type: 'Stalled', status: 'True', reason: 'BackingOff', message: backoffMessage(rec) },
        now,
      );
      continue;
    }
    rec.lastAttemptedCommit = plan.commit;
    rec.lastAttemptedAt = now.toISOString();
    setCondition(
      rec,
      { type: 'Reconciling', status: 'False', reason: 'Idle', message: 'no run in progress' },
      now,
    );
    const failure = failed.get(w.id);
    if (failure) {
      rec.lastError = failure.error;
      if (failure.backoff) {
        rec.backoff = recordFailure(
          rec.backoff,
          { fingerprint, commit: plan.commit, now },
          input.policy ?? DEFAULT_BACKOFF,
        );
        setCondition(
          rec,
          { type: 'Stalled', status: 'True', reason: 'BackingOff', message: backoffMessage(rec) },
          now,
        );
      } else {
        setCondition(
          rec,
          { type: 'Stalled', status: 'False', reason: 'Retrying', message: 'retried at the next run' },
          now,
        );
      }
      setCondition(
        rec,
        { type: 'Ready', status: 'False', reason: 'ApplyFailed', message: failure.error },
        now,
      );
      events.push({
        type: 'resource.failed',
        resource: w.id,
        message: `${w.id}: apply of ${short(plan.commit)} failed: ${failure.error}`,
        data: {
          commit: plan.commit,
          error: failure.error,
          rolledBack: failure.rolledBack,
          ...(failure.backoff && rec.backoff
            ? { failures: rec.backoff.failures, retryAt: rec.backoff.retryAt }
            : {}),
        },
      });
      continue;
    }
    if (skipped.has(w.id)) {
      setCondition(
        rec,
        {
          type: 'Ready',
          status: 'False',
          reason: 'Blocked',
          message: 'not applied: another action of this run failed first',
        },
        now,
      );
      setCondition(
        rec,
        { type: 'Stalled', status: 'False', reason: 'Retrying', message: 'retried at the next run' },
        now,
      );
      continue;
    }
    // Drift: the desired resource is what was last applied successfully, yet the box needed actions. A failed
    // run in between (e.g. one that saw the container half-removed) does not change that.
    // A replace someone asked for (hiy restart) is neither drift nor a commit applied: its caller records it.
    const requested = plan.actions.some(
      (a) => a.resource === w.id && a.kind === 'container.replace' && a.trigger !== undefined,
    );
    const drift = actions.length > 0 && rec.fingerprint === fingerprint && !requested;
    delete rec.backoff;
    delete rec.lastError;
    rec.fingerprint = fingerprint;
    setCondition(
      rec,
      { type: 'Ready', status: 'True', reason: 'Applied', message: `matches commit ${short(plan.commit)}` },
      now,
    );
    setCondition(
      rec,
      { type: 'Stalled', status: 'False', reason: 'Converged', message: 'nothing to retry' },
      now,
    );
    if (actions.length > 0 && !requested) {
      events.push({
        type: drift ? 'drift.corrected' : 'resource.applied',
        resource: w.id,
        message: drift
          ? `${w.id}: drift corrected (${actions.join(', ')})`
          : `${w.id}: commit ${short(plan.commit)} applied (${actions.join(', ')})`,
        data: { commit: plan.commit, actions },
      });
    }
  }
  const desiredIds = new Set(desired.workloads.map((w) => w.id as string));
  for (const [resource, addresses] of actionsBy) {
    // Only workloads are removed: 'caddy' and HIY's own routes (hiy/dashboard) are not resources of the repo.
    if (
      !/^(app|port)\//.test(resource) ||
      desiredIds.has(resource) ||
      (input.scope && !input.scope.has(resource))
    )
      continue;
    const ok = addresses.every((addr) => result.results.find((r) => r.address === addr)?.status === 'done');
    if (ok)
      events.push({
        type: 'resource.removed',
        resource,
        message: `${resource}: removed (not in the state repo any more; volumes kept)`,
        data: { commit: plan.commit },
      });
  }
  return events;
}

function backoffMessage(rec: ResourceRecord): string {
  const b = rec.backoff;
  if (!b) return 'backing off';
  return `apply failed ${b.failures} time(s) for this spec (last at commit ${short(b.commit)}); next retry at ${b.retryAt}${rec.lastError ? `: ${rec.lastError}` : ''}`;
}
