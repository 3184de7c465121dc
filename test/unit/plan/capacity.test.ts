// The capacity check: whether a plan's new containers fit the box's memory and PID room, and how it is shown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSafeToApply, OverCapacityError } from '../../../src/engine/engine.js';
import type { BoxFacts } from '../../../src/model/box.js';
import {
  assessCapacity,
  CONTAINER_OVERHEAD,
  DEFAULT_CONTAINER_MEMORY,
  DEFAULT_CONTAINER_PIDS,
} from '../../../src/plan/capacity.js';
import { plan } from '../../../src/plan/plan.js';
import { renderPlan } from '../../../src/plan/render.js';
import type { Plan } from '../../../src/plan/types.js';
import { desired, emptyObserved, port, SETTINGS } from '../../support/fixtures.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

function box(over: Partial<BoxFacts> = {}): BoxFacts {
  return {
    memory: { availableBytes: 20 * GiB, source: 'MemAvailable of /proc/meminfo' },
    pids: { free: 30_000, limit: 32_768, source: 'kernel.pid_max' },
    measured: [],
    ...over,
  };
}

/** The plan of `n` new Ports (from an empty box), with `spec` each. */
function planOf(n: number, spec: Record<string, unknown> = {}): Plan {
  const workloads = Array.from({ length: n }, (_, i) => port(`web${i}`, spec));
  return plan({
    desired: desired(workloads),
    observed: emptyObserved(),
    observedFingerprint: 'x',
    settings: SETTINGS,
  });
}

const running = (image: string, n: number) => Array.from({ length: n }, () => ({ image, state: 'running' }));

describe('assessCapacity', () => {
  it('is undefined for a plan that starts no container', () => {
    assert.equal(assessCapacity({ actions: [], running: [], box: box() }), undefined);
  });

  it('fits 100 unmeasured containers into 20 GiB at the default', () => {
    const c = assessCapacity({ actions: planOf(100).actions, running: [], box: box() })!;
    assert.equal(c.verdict, 'ok');
    assert.equal(c.starts, 100);
    assert.equal(c.memory.needBytes, 100 * (DEFAULT_CONTAINER_MEMORY + CONTAINER_OVERHEAD));
    assert.deepEqual(c.memory.estimate, { measured: 0, declared: 0, default: 100 });
    assert.equal(c.pids.need, 100 * DEFAULT_CONTAINER_PIDS);
    assert.deepEqual(c.problems, []);
  });

  it('refuses what the free memory cannot hold, naming the estimate and where the free memory came from', () => {
    const c = assessCapacity({
      actions: planOf(40).actions,
      running: [],
      box: box({ memory: { availableBytes: 512 * MiB, source: 'MemAvailable of /proc/meminfo' } }),
    })!;
    assert.equal(c.verdict, 'exceeded');
    assert.match(c.problems[0]!, /the 40 container\(s\) it starts need about 680 MiB of memory/);
    assert.match(c.problems[0]!, /40 at the 16 MiB default/);
    assert.match(c.problems[0]!, /only 512 MiB are available \(MemAvailable of \/proc\/meminfo\)/);
  });

  it('warns, without refusing, above 80 % of what is left', () => {
    const c = assessCapacity({
      actions: planOf(10).actions,
      running: [],
      box: box({ memory: { availableBytes: 190 * MiB, source: 'MemAvailable of /proc/meminfo' } }),
    })!;
    assert.equal(c.verdict, 'tight');
    assert.equal(c.problems.length, 1);
  });

  it('plans an image HIY runs already at what its containers were measured to use', () => {
    const measured = [1, 2, 3].map((m) => ({
      image: 'localhost/example/web:1',
      memoryBytes: m * MiB,
      pids: 1,
    }));
    const c = assessCapacity({
      actions: planOf(4).actions,
      running: running('localhost/example/web:1', 3),
      box: box({ measured }),
    })!;
    assert.deepEqual(c.memory.estimate, { measured: 4, declared: 0, default: 0 });
    assert.equal(c.memory.needBytes, 4 * (2 * MiB + CONTAINER_OVERHEAD)); // the median, 2 MiB
    assert.equal(c.pids.need, 4 * 2); // its process and conmon
  });

  it('plans an unmeasured image at its declared memory limit', () => {
    const c = assessCapacity({
      actions: planOf(3, { resources: { memory: '64Mi' } }).actions,
      running: [],
      box: box(),
    })!;
    assert.deepEqual(c.memory.estimate, { measured: 0, declared: 3, default: 0 });
    assert.equal(c.memory.needBytes, 3 * (64 * MiB + CONTAINER_OVERHEAD));
  });

  it('counts what the running containers use against HIY_BOX_MEMORY_LIMIT', () => {
    const measured = [{ image: 'localhost/example/web:1', memoryBytes: 9 * MiB }];
    const c = assessCapacity({
      actions: planOf(5).actions,
      running: running('localhost/example/web:1', 10),
      box: box({ memoryLimitBytes: 150 * MiB, measured }),
    })!;
    // 10 running × 10 MiB = 100 MiB used of 150: 50 MiB left for 5 × 10 MiB → exactly fits, but tight.
    assert.equal(c.memory.budgetBytes, 50 * MiB);
    assert.equal(c.memory.needBytes, 50 * MiB);
    assert.equal(c.verdict, 'tight');
    assert.match(c.memory.source, /HIY_BOX_MEMORY_LIMIT 150 MiB, 10 running container\(s\)/);
  });

  it('refuses what the PID room cannot hold', () => {
    const c = assessCapacity({
      actions: planOf(10).actions,
      running: [],
      box: box({ pids: { free: 25, limit: 4096, source: 'pids.max of /sys/fs/cgroup/libpod_parent' } }),
    })!;
    assert.equal(c.verdict, 'exceeded');
    assert.match(c.problems[0]!, /need about 40 processes .*only 25 more may start \(pids\.max of/);
  });

  it('does not count a replacement, which takes its predecessor place', () => {
    const actions = planOf(2).actions.filter((a) => a.kind !== 'container.create');
    assert.equal(assessCapacity({ actions, running: [], box: box() }), undefined);
  });
});

describe('a plan over capacity', () => {
  const over = (): Plan => {
    const p = planOf(40);
    const capacity = assessCapacity({
      actions: p.actions,
      running: [],
      box: box({ memory: { availableBytes: 512 * MiB, source: 'HIY_BOX_MEMORY_LIMIT 512 MiB' } }),
    });
    return { ...p, ...(capacity && { capacity }) };
  };

  it('is shown with the reason and the way out', () => {
    const text = renderPlan(over());
    assert.match(text, /Warning: this plan does not fit this box: the 40 container\(s\)/);
    assert.match(text, /apply refuses it unless you pass --allow-over-capacity/);
  });

  it('is refused by apply unless allowed', () => {
    assert.throws(
      () => assertSafeToApply(over(), { allowMassDelete: false }),
      (err: unknown) => err instanceof OverCapacityError && err.code === 'OVER_CAPACITY_REFUSED',
    );
    assert.doesNotThrow(() => assertSafeToApply(over(), { allowMassDelete: false, allowOverCapacity: true }));
  });

  it('a tight plan is shown as a note and applied', () => {
    const p = planOf(10);
    const capacity = assessCapacity({
      actions: p.actions,
      running: [],
      box: box({ memory: { availableBytes: 190 * MiB, source: 'MemAvailable of /proc/meminfo' } }),
    })!;
    const tight = { ...p, capacity };
    assert.match(renderPlan(tight), /Note: this plan leaves this box little room: .*less than 20 % of it/s);
    assert.doesNotThrow(() => assertSafeToApply(tight, { allowMassDelete: false }));
  });
});
