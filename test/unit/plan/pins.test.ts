// Pins and scoped plans (rollback): pure logic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pin } from '../../../src/model/status.js';
import { workloadHash } from '../../../src/model/workload.js';
import { applyPins } from '../../../src/plan/pins.js';
import { plan, scopePlan } from '../../../src/plan/plan.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const routed = (name: string, text: string) =>
  port(name, { env: { TEXT: text }, routes: [{ host: `${name}.test`, port: 8080 }] });

function pinOf(stateVersion: ReturnType<typeof port>, release: ReturnType<typeof port>): Pin {
  return {
    resource: release.id,
    release: 1,
    workload: release,
    ignoredHash: workloadHash(stateVersion),
    ignoredCommit: 'c0ffee'.padEnd(40, '0'),
    pinnedAt: '2026-11-22T00:00:00Z',
    withData: false,
  };
}

describe('pins', () => {
  it('a pinned resource keeps its release while the state repo still says the same', () => {
    const v1 = routed('web', 'one');
    const v2 = routed('web', 'two');
    const { desired: d, effects } = applyPins(desired([v2, routed('api', 'x')]), {
      'port/web': pinOf(v2, v1),
    });
    assert.equal(d.workloads.find((w) => w.id === 'port/web')?.specHash, v1.specHash);
    assert.deepEqual(
      effects.map((e) => [e.resource, e.state]),
      [['port/web', 'pinned']],
    );
  });

  it('a change of that resource in the state repo, or its removal, lifts the pin', () => {
    const v1 = routed('web', 'one');
    const v2 = routed('web', 'two');
    const moved = port('web', { env: { TEXT: 'two' }, routes: [{ host: 'www.test', port: 8080 }] });
    for (const state of [[moved], []]) {
      const { desired: d, effects } = applyPins(desired(state), { 'port/web': pinOf(v2, v1) });
      assert.deepEqual(d.workloads, state);
      assert.deepEqual(
        effects.map((e) => e.state),
        ['lifted'],
      );
    }
  });
});

describe('pins in plan()', () => {
  it('plans the pinned release from the history, and the plan says so; a lifted pin plans the state repo', () => {
    const v1 = routed('web', 'one');
    const v2 = routed('web', 'two');
    const pins = { 'port/web': pinOf(v2, v1) };
    const p = plan({
      desired: desired([v2]),
      observed: emptyObserved(),
      observedFingerprint: 'fp',
      settings: SETTINGS,
      history: { pins },
    });
    const create = p.actions.find((a) => a.kind === 'container.create');
    assert.ok(create?.kind === 'container.create');
    assert.equal(create.run.labels['hiy.spec-hash'], v1.specHash);
    assert.deepEqual(
      p.pins?.map((x) => [x.resource, x.state, x.release]),
      [['port/web', 'pinned', 1]],
    );
    const moved = port('web', { env: { TEXT: 'three' }, routes: [{ host: 'web.test', port: 8080 }] });
    const lifted = plan({
      desired: desired([moved]),
      observed: emptyObserved(),
      observedFingerprint: 'fp',
      settings: SETTINGS,
      history: { pins },
    });
    const again = lifted.actions.find((a) => a.kind === 'container.create');
    assert.ok(again?.kind === 'container.create');
    assert.equal(again.run.labels['hiy.spec-hash'], moved.specHash);
    assert.deepEqual(
      lifted.pins?.map((x) => x.state),
      ['lifted'],
    );
  });
});

describe('scopePlan', () => {
  it("keeps one resource's actions and only its route changes", () => {
    const before = [routed('web', 'one'), routed('api', 'one')];
    const first = plan({
      desired: desired(before),
      observed: emptyObserved(),
      observedFingerprint: 'fp',
      settings: SETTINGS,
    });
    const observed = observedAfter(first);
    const after = [
      routed('web', 'two'),
      port('api', { env: { TEXT: 'two' }, routes: [{ host: 'api2.test', port: 8080 }] }),
    ];
    const full = plan({ desired: desired(after), observed, observedFingerprint: 'fp', settings: SETTINGS });
    assert.ok(full.actions.some((a) => a.resource === 'port/api'));
    const scoped = scopePlan(full, 'port/web', observed.proxy.state);
    assert.ok(scoped.actions.length > 0);
    assert.ok(scoped.actions.every((a) => a.resource === 'port/web'));
    assert.deepEqual(
      scoped.proxy.routes.filter((r) => r.resource === 'port/api').map((r) => r.host),
      ['api.test'],
      'the other resource keeps its observed route',
    );
    assert.equal(scoped.summary.replace, scoped.actions.filter((a) => a.change === 'replace').length);
    assert.equal(scoped.massDelete, undefined);
  });
});
