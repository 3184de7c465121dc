// The sampler: CPU from the CPU time between samples, memory, requests per route from what Caddy's access log gained
// (the first reading a baseline), idle series dropped; and the interval setting.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type AccessLogCursor, readAccessLog } from '../../../src/drivers/caddy/accessLog.js';
import { mergeOwned, ownedServerNames, renderProxy, tlsPolicyId } from '../../../src/drivers/caddy/render.js';
import type { ContainerStats } from '../../../src/drivers/podman/stats.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { ResourceId } from '../../../src/model/names.js';
import { foldReading, parseSampleInterval, readUsage } from '../../../src/reconcile/usageSampler.js';
import { emptyUsage } from '../../../src/store/usage.js';
import { addSample, DAY_S, emptySeries } from '../../../src/store/usageRing.js';

const T = 1_800_000_000_000;

/** A line of Caddy's access log as HIY's filter encoder writes it (2 ms). */
function accessLine(host: string, uri: string, status: number): string {
  const request = { method: 'GET', host, uri: uri.replace(/\?.*/, '') };
  return `${JSON.stringify({ level: 'info', logger: 'http.log.access.hiy', request, duration: 0.002, status })}\n`;
}

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

  it('adds what the access log gained per route as one point; the first reading only keeps its cursor', () => {
    let doc = foldReading(emptyUsage(30), {
      at: T,
      stats: [],
      accessLog: { ino: 7, offset: 100 },
      problems: [],
    });
    assert.deepEqual(doc.routes, {});
    assert.deepEqual(doc.counters?.accessLog, { ino: 7, offset: 100 });
    doc = foldReading(doc, {
      at: T + 30_000,
      stats: [],
      traffic: { 'a.test/': [30, 2, 60], 'a.test/api': [0, 0, 0] },
      accessLog: { ino: 7, offset: 900 },
      problems: [],
    });
    assert.deepEqual(doc.routes['a.test/']!.hour.at(-1), [T / 1000 + 30, 30, 2, 60]);
    assert.deepEqual(doc.routes['a.test/api']!.hour.at(-1), [T / 1000 + 30, 0, 0, 0]);
    // The log could not be read: no point, and the cursor stays where it was.
    doc = foldReading(doc, { at: T + 60_000, stats: [], problems: ['x'] });
    assert.equal(doc.routes['a.test/']!.hour.length, 1);
    assert.deepEqual(doc.counters?.accessLog, { ino: 7, offset: 900 });
  });

  it('reads the access log from where the last sample stopped and counts it per route of Caddy’s config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hiy-sampler-'));
    try {
      const file = join(dir, 'access.log');
      writeFileSync(file, accessLine('old.test', '/', 200));
      const routes = [
        { resource: 'port/web' as ResourceId, host: 'web.test', path: '/', upstream: '127.0.0.1:1' },
        { resource: 'app/api' as ResourceId, host: 'web.test', path: '/api', upstream: '127.0.0.1:2' },
      ];
      const owned = renderProxy({ server: 'hiy', listen: [':80'], tls: 'off', routes, accessLog: file });
      const config = mergeOwned(null, owned, ownedServerNames('hiy'), tlsPolicyId('hiy'));
      const engine = {
        settings: { instance: 'default' },
        podman: { listContainers: async () => [] },
        caddy: { getConfig: async () => config },
        usageProbes: {
          containerStats: async () => [],
          accessLog: (c: AccessLogCursor | undefined) => readAccessLog(file, c),
        },
      } as unknown as Engine;
      const first = await readUsage(engine, undefined, () => T);
      assert.equal(first.traffic, undefined, 'the first reading counts nothing logged before it');
      appendFileSync(
        file,
        accessLine('web.test', '/', 200) +
          accessLine('web.test', '/api/v1?key=x', 502) +
          accessLine('nosuch.test', '/', 200),
      );
      const second = await readUsage(engine, first.accessLog, () => T + 30_000);
      assert.deepEqual(second.traffic, {
        'web.test/': [1, 0, 2],
        'web.test/api': [1, 1, 2],
        '(no route)': [1, 0, 2],
      });
      const third = await readUsage(engine, second.accessLog, () => T + 60_000);
      assert.deepEqual(third.traffic, { 'web.test/': [0, 0, 0], 'web.test/api': [0, 0, 0] });
      assert.deepEqual(third.problems, []);
      // Caddy's config cannot be read: no counts and no cursor, so the next sample reads the same lines again.
      appendFileSync(file, accessLine('web.test', '/', 200));
      const down = {
        ...engine,
        caddy: {
          getConfig: async () => {
            throw new Error('connection refused');
          },
        },
      } as unknown as Engine;
      const failed = await readUsage(down, third.accessLog, () => T + 90_000);
      assert.deepEqual(failed.problems, ["Caddy's access log: connection refused"]);
      assert.equal(failed.traffic, undefined);
      assert.equal(failed.accessLog, undefined);
      const later = await readUsage(engine, third.accessLog, () => T + 120_000);
      assert.deepEqual(later.traffic?.['web.test/'], [1, 0, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
