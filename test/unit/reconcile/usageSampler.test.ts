// The sampler's fold: CPU from the CPU time between samples, memory, requests as the counters' growth (the first
// reading a baseline, a Caddy restart counted from zero), idle series dropped; and the interval setting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerStats } from '../../../src/drivers/podman/stats.js';
import { foldReading, parseSampleInterval } from '../../../src/reconcile/usageSampler.js';
import { emptyUsage } from '../../../src/store/usage.js';
import { addSample, DAY_S, emptySeries } from '../../../src/store/usageRing.js';

const T = 1_800_000_000_000;

function stats(id: string, cpuNanos: number, memBytes: number): ContainerStats {
  return { id, name: `hiy-${id}`, cpuNanos, cpuPercentSinceStart: 7, memBytes, memLimitBytes: 2 ** 33 };
}

describe('usage sampler', () => {
  it('computes CPU from the CPU time used between two samples, and sums containers of one resource', () => {
    let doc = foldReading(emptyUsage(30), {
      at: T,
      stats: [{ resource: 'app/a', stats: stats('c1', 1e9, 100) }],
      problems: [],
    });
    // A new container: Podman's average since its start.
    assert.deepEqual(doc.resources['app/a']!.hour.at(-1), [T / 1000, 7, 100]);
    doc = foldReading(doc, {
      at: T + 30_000,
      stats: [
        { resource: 'app/a', stats: stats('c1', 1e9 + 15e9 / 10, 300) }, // 1.5 s of CPU in 30 s: 5 %
        { resource: 'app/a', stats: stats('c2', 0, 50) }, // new container of an upgrade: since start
      ],
      problems: ['x'],
    });
    assert.deepEqual(doc.resources['app/a']!.hour.at(-1), [T / 1000 + 30, 12, 350]);
    assert.deepEqual(doc.problems, ['x']);
    assert.equal(doc.sampledAt, new Date(T + 30_000).toISOString());
  });

  it('counts requests and 5xx as the growth of Caddy counters; the first reading is the baseline', () => {
    let doc = foldReading(emptyUsage(30), {
      at: T,
      stats: [],
      traffic: { '*': { requests: 100, errors: 1 } },
      problems: [],
    });
    assert.equal(doc.routes['*'], undefined);
    doc = foldReading(doc, {
      at: T + 30_000,
      stats: [],
      traffic: { '*': { requests: 130, errors: 3 } },
      problems: [],
    });
    assert.deepEqual(doc.routes['*']!.hour.at(-1), [T / 1000 + 30, 30, 2]);
    // Caddy restarted: its counters start again from 0.
    doc = foldReading(doc, {
      at: T + 60_000,
      stats: [],
      traffic: { '*': { requests: 4, errors: 0 } },
      problems: [],
    });
    assert.deepEqual(doc.routes['*']!.hour.at(-1), [T / 1000 + 60, 4, 0]);
  });

  it('drops the series of a resource gone for a day, and keeps the file bounded', () => {
    const old = emptyUsage(30);
    old.resources['app/gone'] = addSample(emptySeries(), T / 1000 - DAY_S - 600, [1, 1], 'mean');
    const doc = foldReading(old, {
      at: T,
      stats: [{ resource: 'app/a', stats: stats('c', 1, 1) }],
      problems: [],
    });
    assert.deepEqual(Object.keys(doc.resources), ['app/a']);
  });

  it('reads HIY_SAMPLE_INTERVAL: seconds from 5 to 3600, off, or the default 30', () => {
    assert.equal(parseSampleInterval(undefined), 30);
    assert.equal(parseSampleInterval('10'), 10);
    assert.equal(parseSampleInterval('off'), 0);
    assert.equal(parseSampleInterval('0'), 0);
    assert.throws(
      () => parseSampleInterval('2'),
      /HIY_SAMPLE_INTERVAL: expected seconds from 5 to 3600, or off; got "2"/,
    );
    assert.throws(() => parseSampleInterval('30s'), /HIY_SAMPLE_INTERVAL/);
  });
});
