// Conditions, backoff and events recorded from one run's outcome (pure).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApplyResult } from '../../../src/apply/apply.js';
import { recordFailure } from '../../../src/engine/backoff.js';
import {
  getCondition,
  markReconciling,
  observedConditions,
  recordConditions,
} from '../../../src/engine/conditions.js';
import type { ConditionReason, StoredStatus } from '../../../src/model/status.js';
import { plan } from '../../../src/plan/plan.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const web = (g = '1') => port('web', { env: { G: g }, routes: [{ host: 'web.test', port: 8080 }] });
const db = () => port('db', { volumes: [{ name: 'data', mountPath: '/data' }] });

function run(workloads = [web(), db()], observed = emptyObserved()) {
  const d = desired(workloads);
  return { d, p: plan({ desired: d, observed, observedFingerprint: 'fp', settings: SETTINGS }) };
}

function allDone(p: ReturnType<typeof run>['p']): ApplyResult {
  return {
    ok: true,
    caddyWrites: 1,
    results: p.actions.map((a) => ({ address: a.address, status: 'done' })),
  };
}

const conds = (s: StoredStatus, id: string) =>
  Object.fromEntries((s.resources[id]?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('recordConditions', () => {
  it('a successful run: Ready=True, not stalled, deploy events; the next run without actions emits none', () => {
    const { d, p } = run();
    const status: StoredStatus = { resources: {} };
    markReconciling(status, p, t0);
    assert.equal(conds(status, 'port/web').Reconciling, 'True/Applying');
    const events = recordConditions(status, { desired: d, plan: p, result: allDone(p), now: t0 });
    assert.deepEqual(conds(status, 'port/web'), {
      Ready: 'True/Applied',
      Reconciling: 'False/Idle',
      Stalled: 'False/Converged',
    });
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.resource}`),
      ['resource.applied port/web', 'resource.applied port/db'],
    );
    assert.equal(status.resources['port/web']!.lastAttemptedCommit, p.commit);
    const again = run([web(), db()], observedAfter(p));
    assert.equal(again.p.actions.length, 0);
    assert.deepEqual(
      recordConditions(status, { desired: again.d, plan: again.p, result: allDone(again.p), now: t0 }),
      [],
    );
  });

  it('HIY’s own dashboard route is not a resource: applying it is never reported as a removal', () => {
    const d = desired([web()]);
    const settings = { ...SETTINGS, dashboardHost: 'hiy.test', apiAddr: '127.0.0.1:7999' };
    const p = plan({ desired: d, observed: emptyObserved(), observedFingerprint: 'fp', settings });
    assert.ok(p.actions.some((a) => (a.resource as string) === 'hiy/dashboard'));
    const events = recordConditions({ resources: {} }, { desired: d, plan: p, result: allDone(p), now: t0 });
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.resource}`),
      ['resource.applied port/web'],
    );
  });

  it('drift: actions for a resource that was Ready at the same spec are reported as drift corrected', () => {
    const { d, p } = run([web()]);
    const status: StoredStatus = { resources: {} };
    recordConditions(status, { desired: d, plan: p, result: allDone(p), now: t0 });
    const box = observedAfter(p);
    const removedByHand = { ...box, containers: [] };
    const r = run([web()], removedByHand);
    const events = recordConditions(status, { desired: r.d, plan: r.p, result: allDone(r.p), now: t0 });
    assert.deepEqual(
      events.map((e) => e.type),
      ['drift.corrected'],
    );
  });

  it('a failed resource backs off (Stalled) and the others are Ready; a blocked one is not Ready', () => {
    const { d, p } = run();
    const status: StoredStatus = { resources: {} };
    const result: ApplyResult = {
      ok: false,
      caddyWrites: 0,
      results: p.actions.map((a) => ({
        address: a.address,
        status: a.address === 'container/hiy-web' ? 'failed' : a.resource === 'port/db' ? 'done' : 'skipped',
        ...(a.address === 'container/hiy-web'
          ? { error: 'health check failed; rolled back', rolledBack: true }
          : {}),
      })),
    };
    const events = recordConditions(status, { desired: d, plan: p, result, now: t0 });
    const rec = status.resources['port/web']!;
    assert.deepEqual(conds(status, 'port/web'), {
      Ready: 'False/ApplyFailed',
      Reconciling: 'False/Idle',
      Stalled: 'True/BackingOff',
    });
    assert.equal(rec.backoff?.failures, 1);
    assert.equal(rec.backoff?.retryAt, '2026-01-01T00:00:10.000Z');
    assert.match(getCondition(rec, 'Stalled')!.message, /next retry at 2026-01-01T00:00:10.000Z/);
    const failed = events.find((e) => e.type === 'resource.failed');
    assert.equal(failed?.data?.rolledBack, true);
    assert.equal(conds(status, 'port/db').Ready, 'True/Applied');
  });

  it('rolledBack comes from the result’s data, never from the words of its message', () => {
    const { d, p } = run([web()]);
    const result: ApplyResult = {
      ok: false,
      caddyWrites: 0,
      results: p.actions.map((a) => ({
        address: a.address,
        status: a.address === 'container/hiy-web' ? 'failed' : 'skipped',
        ...(a.address === 'container/hiy-web' ? { error: 'image "rolled back" not found' } : {}),
      })),
    };
    const events = recordConditions({ resources: {} }, { desired: d, plan: p, result, now: t0 });
    const failed = events.find((e) => e.type === 'resource.failed');
    assert.equal(failed?.data?.rolledBack, false);
  });

  it('a deferred resource stays Stalled and keeps its backoff and last attempt', () => {
    const { d, p } = run([web('2')]);
    const b = recordFailure(undefined, { fingerprint: 'x', commit: 'old', now: t0 });
    const status: StoredStatus = { resources: { 'port/web': { backoff: b, lastAttemptedCommit: 'old' } } };
    const events = recordConditions(status, {
      desired: d,
      plan: { ...p, actions: [] },
      result: { ok: true, caddyWrites: 0, results: [] },
      deferred: new Map([['port/web', b]]),
      now: t0,
    });
    assert.deepEqual(events, []);
    assert.deepEqual(conds(status, 'port/web'), {
      Ready: 'False/BackingOff',
      Reconciling: 'False/Deferred',
      Stalled: 'True/BackingOff',
    });
    assert.equal(status.resources['port/web']!.lastAttemptedCommit, 'old');
  });

  it('a failed Caddy load does not back resources off (it is the box’s problem)', () => {
    const { d, p } = run([web()]);
    const status: StoredStatus = { resources: {} };
    const result: ApplyResult = {
      ok: false,
      caddyWrites: 0,
      results: p.actions.map((a) => ({
        address: a.address,
        status: a.kind === 'route.change' ? 'failed' : 'done',
        ...(a.kind === 'route.change' ? { error: 'caddy: connection refused' } : {}),
      })),
    };
    recordConditions(status, { desired: d, plan: p, result, now: t0 });
    assert.equal(status.resources['port/web']!.backoff, undefined);
    assert.deepEqual(conds(status, 'port/web').Stalled, 'False/Retrying');
  });

  it('keeps lastTransitionTime while a condition’s status does not change', () => {
    const { d, p } = run([web()]);
    const status: StoredStatus = { resources: {} };
    recordConditions(status, { desired: d, plan: p, result: allDone(p), now: t0 });
    const later = new Date(t0.getTime() + 60_000);
    recordConditions(status, {
      desired: d,
      plan: { ...p, actions: [] },
      result: allDone({ ...p, actions: [] }),
      now: later,
    });
    assert.equal(getCondition(status.resources['port/web'], 'Ready')!.lastTransitionTime, t0.toISOString());
  });
});

describe('observedConditions (status as observed now)', () => {
  const cond = (
    type: 'Ready' | 'Reconciling' | 'Stalled',
    status: 'True' | 'False',
    reason: ConditionReason,
  ) => ({
    type,
    status,
    reason,
    message: 'm',
    lastTransitionTime: t0.toISOString(),
  });
  const ready = (status: 'True' | 'False') => [
    cond('Ready', status, 'Applied'),
    cond('Stalled', 'False', 'Converged'),
  ];
  const now = new Date('2026-01-02T00:00:00Z');
  const idle = (container: { name: string; state: string } | null) => ({ container, runInProgress: false });

  it('a container that is not running is never Ready, whatever the last run said', () => {
    for (const state of ['stopping', 'exited', 'paused', 'created', 'Stopping']) {
      const out = observedConditions(ready('True'), idle({ name: 'hiy-x-web', state }), now);
      assert.deepEqual(out[0], {
        type: 'Ready',
        status: 'False',
        reason: 'NotRunning',
        message: `container hiy-x-web is ${state}; the next apply starts it`,
        lastTransitionTime: now.toISOString(),
      });
      assert.deepEqual(out[1], ready('True')[1], 'the other conditions are kept');
    }
    assert.equal(observedConditions(ready('True'), idle(null), now)[0]?.reason, 'ContainerMissing');
  });

  it('a running container keeps the recorded conditions; nothing is invented', () => {
    assert.deepEqual(
      observedConditions(ready('True'), idle({ name: 'c', state: 'running' }), now),
      ready('True'),
    );
    assert.deepEqual(
      observedConditions(ready('False'), idle({ name: 'c', state: 'exited' }), now),
      ready('False'),
    );
    assert.deepEqual(observedConditions([], idle({ name: 'c', state: 'exited' }), now), []);
  });

  it('Reconciling left True by a killed run is not shown while no run holds the lock', () => {
    const recorded = [cond('Reconciling', 'True', 'Applying')];
    const running = { name: 'c', state: 'running' };
    assert.deepEqual(
      observedConditions(recorded, { container: running, runInProgress: true }, now),
      recorded,
    );
    assert.deepEqual(observedConditions(recorded, { container: running, runInProgress: false }, now), [
      {
        type: 'Reconciling',
        status: 'False',
        reason: 'Interrupted',
        message: 'the run was interrupted; the next run recovers and applies',
        lastTransitionTime: now.toISOString(),
      },
    ]);
  });

  it('a limit the box cannot enforce is LimitsEnforced=False on that resource only, gone once it can', () => {
    const limited = port('web', { resources: { memory: '64Mi' } });
    const { p } = run([limited, db()]);
    const d = desired([limited, db()]);
    const status: StoredStatus = { resources: {} };
    const why = 'cgroup v1: memory, cpus and pids limits are not enforced for rootless containers';
    recordConditions(status, { desired: d, plan: p, result: allDone(p), now: t0, limitsNotEnforced: why });
    assert.equal(conds(status, 'port/web').LimitsEnforced, 'False/NotEnforced');
    assert.equal(
      getCondition(status.resources['port/web'], 'LimitsEnforced')?.message,
      `memory limit is not enforced: ${why}`,
    );
    assert.equal(conds(status, 'port/db').LimitsEnforced, undefined, 'no limit, no condition');
    assert.equal(conds(status, 'port/web').Ready, 'True/Applied', 'the resource is still applied');
    recordConditions(status, { desired: d, plan: p, result: allDone(p), now: t0 });
    assert.equal(conds(status, 'port/web').LimitsEnforced, undefined);
  });
});
