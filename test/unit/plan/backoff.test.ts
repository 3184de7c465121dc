// Backoff in the planner (pure): resources backing off are left out of the plan itself, their current
// container keeps serving, and `now` is an input (the planner has no clock).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordFailure } from '../../../src/engine/backoff.js';
import type { BackoffState } from '../../../src/model/status.js';
import type { DesiredWorkload } from '../../../src/model/workload.js';
import { deferResources, desiredFingerprint } from '../../../src/plan/backoff.js';
import { plan } from '../../../src/plan/plan.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

describe('deferResources', () => {
  const web = (greeting: string) =>
    port('web', { env: { G: greeting }, routes: [{ host: 'web.test', port: 8080 }] });
  const api = (greeting: string) =>
    port('api', { env: { G: greeting }, routes: [{ host: 'api.test', port: 8080 }] });

  it('drops the deferred resource’s actions, keeps its current route, and lets the others converge', () => {
    const v1 = plan({
      desired: desired([web('1'), api('1')]),
      observed: emptyObserved(),
      observedFingerprint: 'x',
      settings: SETTINGS,
    });
    const box = observedAfter(v1);
    const d2 = desired([web('2'), api('2')]);
    const v2 = plan({ desired: d2, observed: box, observedFingerprint: 'y', settings: SETTINGS });
    // Both are start-first replacements on new upstream ports.
    assert.deepEqual(
      v2.actions.map((a) => a.address),
      ['container/hiy-api', 'container/hiy-web', 'route/port/api', 'route/port/web'],
    );
    const out = deferResources(v2, d2, box, new Set(['port/web']));
    assert.deepEqual(
      out.actions.map((a) => a.address),
      ['container/hiy-api', 'route/port/api'],
    );
    const webRoute = out.proxy.routes.find((r) => r.resource === 'port/web');
    const webBefore = box.proxy.state!.routes.find((r) => r.resource === 'port/web');
    assert.deepEqual(webRoute, webBefore, 'the deferred resource keeps serving from its current container');
    assert.notDeepEqual(
      out.proxy.routes.find((r) => r.resource === 'port/api'),
      box.proxy.state!.routes.find((r) => r.resource === 'port/api'),
    );
    assert.deepEqual(out.summary, { create: 0, update: 1, replace: 1, delete: 0 });
    assert.equal(deferResources(v2, d2, box, new Set()), v2);
  });

  it('when Caddy lost the routes (a restart), rebuilds a deferred resource’s routes from its container', () => {
    const v1 = plan({
      desired: desired([web('1')]),
      observed: emptyObserved(),
      observedFingerprint: 'x',
      settings: SETTINGS,
    });
    const applied = observedAfter(v1);
    const restarted = { ...applied, caddyConfig: null, proxy: { present: false, pristine: true } };
    const d2 = desired([web('2')]);
    const v2 = plan({ desired: d2, observed: restarted, observedFingerprint: 'y', settings: SETTINGS });
    const out = deferResources(v2, d2, restarted, new Set(['port/web']));
    assert.deepEqual(
      out.actions.map((a) => a.address),
      ['caddy/hiy', 'route/port/web'],
    );
    assert.deepEqual(out.proxy.routes, applied.proxy.state!.routes);
  });
});

describe('plan with a backoff history', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const web = (greeting: string) =>
    port('web', { env: { G: greeting }, routes: [{ host: 'web.test', port: 8080 }] });
  const api = (greeting: string) =>
    port('api', { env: { G: greeting }, routes: [{ host: 'api.test', port: 8080 }] });
  const failedAt = (w: DesiredWorkload, now: Date): BackoffState =>
    recordFailure(undefined, { fingerprint: desiredFingerprint(w), commit: 'c1'.padEnd(40, '1'), now });
  const box = () =>
    observedAfter(
      plan({
        desired: desired([web('1'), api('1')]),
        observed: emptyObserved(),
        observedFingerprint: 'x',
        settings: SETTINGS,
      }),
    );
  const planAt = (now: Date | undefined, backoff: Record<string, BackoffState>) => {
    const observed = box();
    return plan({
      desired: desired([web('2'), api('2')]),
      observed,
      observedFingerprint: 'y',
      settings: SETTINGS,
      history: now ? { backoff: { now, resources: backoff } } : {},
    });
  };

  it('leaves a resource backing off out of the plan, with a note, and the same narrowing as deferResources', () => {
    const state = failedAt(web('2'), t0);
    const p = planAt(new Date(t0.getTime() + 1_000), { 'port/web': state });
    assert.deepEqual(
      p.actions.map((a) => a.address),
      ['container/hiy-api', 'route/port/api'],
    );
    assert.deepEqual(p.deferred, [
      {
        resource: 'port/web',
        reason: `apply failed 1 time(s) for this spec (last at commit ${state.commit.slice(0, 12)}); next retry at ${state.retryAt}`,
        backoff: state,
      },
    ]);
    assert.deepEqual(p.summary, { create: 0, update: 1, replace: 1, delete: 0 });
    // The same plan as narrowing the full one afterwards (what the daemon did before).
    const observed = box();
    const d2 = desired([web('2'), api('2')]);
    const full = plan({ desired: d2, observed, observedFingerprint: 'y', settings: SETTINGS });
    const { deferred: _note, ...rest } = p;
    assert.deepEqual(rest, deferResources(full, d2, observed, new Set(['port/web'])));
    assert.deepEqual(JSON.parse(JSON.stringify(p)), p, 'still plain JSON');
  });

  it('plans the resource again once its retry time came, for a new spec, or without a backoff history', () => {
    const state = failedAt(web('2'), t0);
    const all = ['container/hiy-api', 'container/hiy-web', 'route/port/api', 'route/port/web'];
    const addresses = (p: ReturnType<typeof planAt>) => p.actions.map((a) => a.address);
    assert.deepEqual(addresses(planAt(new Date(state.retryAt), { 'port/web': state })), all);
    const older = failedAt(web('1'), t0);
    assert.deepEqual(addresses(planAt(new Date(t0.getTime() + 1), { 'port/web': older })), all);
    const p = planAt(undefined, { 'port/web': state });
    assert.deepEqual(addresses(p), all, '`hiy apply` by hand plans every resource');
    assert.equal(p.deferred, undefined);
  });

  it('does not defer a resource that has nothing to do', () => {
    const observed = box();
    const p = plan({
      desired: desired([web('1'), api('2')]),
      observed,
      observedFingerprint: 'y',
      settings: SETTINGS,
      history: { backoff: { now: t0, resources: { 'port/web': failedAt(web('1'), t0) } } },
    });
    assert.equal(p.deferred, undefined);
    assert.ok(p.actions.every((a) => a.resource === 'port/api'));
  });
});
