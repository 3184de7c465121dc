// The coalescing queue: one run at a time, triggers during a run merge into exactly one more run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReconcileOutcome, Trigger } from '../../../src/model/events.js';
import { CoalescingQueue } from '../../../src/reconcile/queue.js';

/** A run function whose runs the test finishes by hand, recording overlaps. */
function controllableRuns() {
  const batches: Trigger[][] = [];
  const finishers: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const run = async (triggers: Trigger[]): Promise<ReconcileOutcome> => {
    batches.push(triggers);
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((r) => finishers.push(r));
    active--;
    return { ok: true, actions: batches.length, commit: `run${batches.length}` };
  };
  const tick = () => new Promise((r) => setImmediate(r));
  return {
    run,
    batches,
    get maxActive() {
      return maxActive;
    },
    async finishNext() {
      await tick();
      const f = finishers.shift();
      assert.ok(f, 'a run is in progress');
      f();
      await tick();
    },
  };
}

describe('CoalescingQueue', () => {
  it('runs at once when idle and resolves with that run’s outcome', async () => {
    const c = controllableRuns();
    const q = new CoalescingQueue(c.run);
    const p = q.enqueue({ kind: 'startup' });
    await c.finishNext();
    assert.deepEqual(await p, { ok: true, actions: 1, commit: 'run1' });
    assert.equal(q.runs, 1);
    assert.equal(q.busy, false);
  });

  it('merges every trigger that arrives during a run into exactly one more run', async () => {
    const c = controllableRuns();
    const q = new CoalescingQueue(c.run);
    const first = q.enqueue({ kind: 'startup' });
    const during = Array.from({ length: 30 }, (_, i) => q.enqueue({ kind: 'commit', detail: `c${i}` }));
    await c.finishNext();
    assert.equal((await first).commit, 'run1');
    await c.finishNext();
    const outcomes = await Promise.all(during);
    // All 30 were answered by the second run, which saw all of them; no third run.
    assert.ok(outcomes.every((o) => o.commit === 'run2'));
    assert.equal(c.batches.length, 2);
    assert.equal(c.batches[1]!.length, 30);
    assert.equal(c.maxActive, 1);
    assert.equal(q.busy, false);
  });

  it('a trigger during a run never joins that run: it waits for the next one', async () => {
    const c = controllableRuns();
    const q = new CoalescingQueue(c.run);
    void q.enqueue({ kind: 'resync' });
    await new Promise((r) => setImmediate(r));
    const late = q.enqueue({ kind: 'commit' });
    await c.finishNext();
    await c.finishNext();
    assert.equal((await late).commit, 'run2');
  });

  it('a failing run resolves its waiters with ok: false and the queue keeps working', async () => {
    let n = 0;
    const q = new CoalescingQueue(async () => {
      n++;
      if (n === 1) throw new Error('boom');
      return { ok: true, actions: 0 };
    });
    assert.deepEqual(await q.enqueue({ kind: 'api' }), { ok: false, actions: 0, error: 'boom' });
    assert.deepEqual(await q.enqueue({ kind: 'api' }), { ok: true, actions: 0 });
  });

  it('stop lets the run in progress finish and answers waiting triggers without running them', async () => {
    const c = controllableRuns();
    const q = new CoalescingQueue(c.run);
    const running = q.enqueue({ kind: 'startup' });
    const waiting = q.enqueue({ kind: 'commit' });
    await new Promise((r) => setImmediate(r));
    let stopped = false;
    const stopping = q.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false, 'stop waits for the run in progress');
    await c.finishNext();
    await stopping;
    assert.equal((await running).ok, true);
    assert.equal((await waiting).ok, false);
    assert.match((await waiting).error ?? '', /stopping/);
    assert.equal(c.batches.length, 1);
    assert.equal((await q.enqueue({ kind: 'api' })).ok, false);
  });
});
