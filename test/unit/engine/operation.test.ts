// The operation runner on the fake drivers: one path for every caller, status settled even when recording fails,
// the guard before any change, the "applied" subscribers, and one lock-wait loop.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { acquireApplyLock, LockBusyError } from '../../../src/apply/lock.js';
import {
  computePlan,
  MassDeleteError,
  type OperationView,
  retryWhileLocked,
  runOperation,
} from '../../../src/engine/engine.js';
import { type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';

/** Every condition of every resource that says a run is in progress. */
async function reconciling(w: FakeWorld): Promise<string[]> {
  const status = await w.engine.stores.status.read();
  return Object.entries(status.resources).flatMap(([id, rec]) =>
    (rec.conditions ?? []).some((c) => c.type === 'Reconciling' && c.status === 'True') ? [id] : [],
  );
}

describe('the operation runner', () => {
  let w: FakeWorld;
  before(async () => {
    w = await fakeEngine({ files: { 'web.yaml': portYaml('web', { host: 'web.test' }) } });
  });
  after(() => w.cleanup());

  it('a failure while recording leaves no resource Reconciling, and the error recorded', async () => {
    const releases = w.engine.stores.releases;
    const record = releases.record.bind(releases);
    releases.record = async () => {
      throw new Error('disk full while recording the release');
    };
    try {
      await assert.rejects(
        runOperation(w.engine, { plan: () => computePlan(w.engine, { forApply: true }) }),
        /disk full while recording the release/,
      );
    } finally {
      releases.record = record;
    }
    assert.deepEqual(await reconciling(w), []);
    const status = await w.engine.stores.status.read();
    assert.equal(status.lastError, 'disk full while recording the release');
    const cond = status.resources['port/web']?.conditions?.find((c) => c.type === 'Reconciling');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'Failed');
    assert.equal((await w.podman.listContainers({})).length, 1, 'the apply itself ran');
  });

  it('tells the view in order: recovery, plan, apply events; and records the outcome', async () => {
    await w.commit({ 'web.yaml': portYaml('web', { host: 'web.test', env: { GREETING: 'v2' } }) });
    const told: string[] = [];
    const view: OperationView = {
      recovered: () => told.push('recovered'),
      planned: ({ plan }) => told.push(`planned ${plan.actions.length}`),
      applyEvent: (e) => {
        if (e.type === 'action.finished') told.push(`finished ${e.action.address}`);
      },
    };
    const { result, value } = await runOperation(w.engine, {
      plan: () => computePlan(w.engine, { forApply: true }),
      guard: { allowMassDelete: false },
      view,
      finish: async (_p, r) => `finished ok=${r.ok}`,
    });
    assert.equal(result.ok, true, JSON.stringify(result.results));
    assert.equal(value, 'finished ok=true');
    assert.equal(told[0], 'recovered');
    assert.match(told[1]!, /^planned [1-9]/);
    assert.ok(told.slice(2).every((t) => t.startsWith('finished ')) && told.length > 2, told.join(', '));
    const status = await w.engine.stores.status.read();
    assert.equal(status.lastError, undefined);
    assert.deepEqual(await reconciling(w), []);
  });

  it('the guard refuses a mass delete before anything changes', async () => {
    await w.commit({ 'web.yaml': null, 'a.yaml': portYaml('a'), 'b.yaml': portYaml('b') });
    await runOperation(w.engine, { plan: () => computePlan(w.engine, { forApply: true }) });
    await w.commit({ 'a.yaml': null, 'b.yaml': null, 'c.yaml': portYaml('c') });
    const before = (await w.podman.listContainers({})).map((c) => c.name).sort();
    let applied = false;
    await assert.rejects(
      runOperation(w.engine, {
        plan: () => computePlan(w.engine, { forApply: true }),
        guard: { allowMassDelete: false },
        starting: async () => {
          applied = true;
        },
      }),
      MassDeleteError,
    );
    assert.equal(applied, false);
    assert.deepEqual((await w.podman.listContainers({})).map((c) => c.name).sort(), before);
  });

  it('waits for the lock in one loop: told once, gives up at its deadline or when stopped', async () => {
    const held = await acquireApplyLock(w.dataDir);
    try {
      let told = 0;
      const started = Date.now();
      await assert.rejects(
        retryWhileLocked(() => acquireApplyLock(w.dataDir), { ms: 300, retryMs: 50, onWait: () => told++ }),
        LockBusyError,
      );
      assert.equal(told, 1);
      assert.ok(Date.now() - started >= 300);
      let attempts = 0;
      await assert.rejects(
        retryWhileLocked(
          () => {
            attempts++;
            return acquireApplyLock(w.dataDir);
          },
          { ms: Number.POSITIVE_INFINITY, retryMs: 10, stopped: () => attempts >= 3 },
        ),
        LockBusyError,
      );
      assert.equal(attempts, 3);
    } finally {
      await held.release();
    }
    const lock = await retryWhileLocked(() => acquireApplyLock(w.dataDir), { ms: 0 });
    await lock.release();
  });
});
