// The daemon's observation cache on real Podman and Caddy: a no-op reconcile makes no external call (read from
// /metrics), and containers and volumes changed by hand while events flow are seen as a full listing sees them,
// and acted on without a resync (the resync here runs once a year).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { settingsFrom } from '../../src/cli/config.js';
import type { Engine } from '../../src/engine/engine.js';
import { realEngine } from '../../src/main.js';
import type { ControllerEvent } from '../../src/model/events.js';
import { LABEL_INSTANCE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../src/model/labels.js';
import { observe } from '../../src/observed/observe.js';
import type { ObservedState } from '../../src/observed/types.js';
import { type Daemon, startDaemon } from '../../src/reconcile/index.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

describe("the daemon's observation cache", () => {
  let h: Harness;
  let daemon: Daemon;
  let server: ApiServer;
  /** Observes with drivers of its own: the full listing the cache is compared with. */
  let direct: Engine;
  const seen: ControllerEvent[] = [];
  const name = (n: string) => `hiy-${h.instance}-${n}`;

  /** Sum of hiy_external_calls_total over its targets, as the daemon's /metrics says. */
  const externalCalls = async (): Promise<number> => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const lines = text.split('\n').filter((l) => l.startsWith('hiy_external_calls_total{'));
    assert.ok(
      lines.some((l) => l.includes('target="podman"')),
      text,
    );
    return lines.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  };
  /** What HIY owns in an observation, comparable between the cache and a full listing. */
  const owned = (o: ObservedState) => ({
    containers: o.containers.map((c) => `${c.name} ${c.id} ${c.state}`).sort(),
    volumes: o.volumes.map((v) => v.name).sort(),
    proxy: o.proxy,
  });
  const viaCache = async () => owned(await observe({ ...daemon.engine, instance: h.instance }));
  const viaListing = async () => owned(await observe({ ...direct, instance: h.instance }));
  const cacheMatchesListing = (what: string) =>
    waitFor(
      async () => {
        const [cached, listed] = await Promise.all([viaCache(), viaListing()]);
        return JSON.stringify(cached) === JSON.stringify(listed);
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `the cache to match a full listing after ${what}` },
    );
  const served = (host: string, body: string) =>
    waitFor(
      async () => {
        const r = await h.get(host).catch(() => ({ status: 0, body: '' }));
        return r.status === 200 && r.body.trim() === body;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `${host} to serve ${body}` },
    );
  const noop = async () => {
    const outcome = await daemon.enqueue({ kind: 'api', detail: 'test' });
    assert.deepEqual({ ok: outcome.ok, actions: outcome.actions }, { ok: true, actions: 0 }, outcome.error);
  };

  before(async () => {
    h = await startHarness({
      'a.yaml': webPort('a', 'a.test'),
      'b.yaml': webPort('b', 'b.test', { volume: true }),
    });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    const settings = settingsFrom({}, h.env, true);
    direct = await realEngine(settings, h.env);
    daemon = await startDaemon({ engine: await realEngine(settings, h.env), resync: '0 0 1 1 *' });
    daemon.subscribe((e) => seen.push(e));
    server = await startApiServer({ controller: daemon, engine: daemon.engine, addr: '127.0.0.1:0' });
  });

  after(async () => {
    await server?.close();
    await daemon?.stop();
    await h?.cleanup();
  });

  it('a no-op reconcile of the daemon makes zero external calls, also after its own Caddy load', async () => {
    assert.equal(daemon.cache?.following, true);
    await noop(); // the startup run, or one after it: listed once since the stream started
    let before = await externalCalls();
    await noop();
    assert.equal((await externalCalls()) - before, 0, 'a no-op from memory');
    // A route added: HIY loads Caddy itself and remembers what it loaded.
    await h.commit({
      'a.yaml': webPort('a', 'a.test').replace(
        '  routes:\n',
        '  routes:\n    - host: a2.test\n      port: 8080\n',
      ),
    });
    await served('a2.test', 'a:hello');
    await noop(); // the run its own containers' and Caddy's changes woke, if any, has listed again
    before = await externalCalls();
    await noop();
    assert.equal((await externalCalls()) - before, 0, 'a no-op after HIY loaded Caddy itself');
  });

  it('a container removed by hand is seen through its event and put back, without a resync', async () => {
    const before = (await viaListing()).containers.find((c) => c.startsWith(`${name('a')} `));
    assert.ok(before);
    await execa('podman', ['rm', '-f', '-t', '0', name('a')]);
    await served('a.test', 'a:hello');
    const after = (await viaListing()).containers.find((c) => c.startsWith(`${name('a')} `));
    assert.ok(after && after !== before, `a new container: ${after}`);
    const woke = seen.some(
      (e) =>
        e.type === 'reconcile.started' &&
        (e.data?.triggers as string[] | undefined)?.some((t) => t.startsWith('podman-event:')),
    );
    assert.ok(woke, 'the run was woken by a podman event');
    await cacheMatchesListing('the removal');
  });

  it('kills, stops and volumes made by hand while events flow: the cache matches a full listing', async () => {
    const extra = `${name('b')}-by-hand`;
    const labels = [
      '--label',
      `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`,
      '--label',
      `${LABEL_INSTANCE}=${h.instance}`,
    ];
    try {
      await Promise.all([
        execa('podman', ['kill', name('b')]),
        execa('podman', ['stop', '-t', '0', name('a')]),
        execa('podman', ['volume', 'create', ...labels, extra]),
      ]);
      await cacheMatchesListing('a kill, a stop and a new volume');
      assert.ok((await viaCache()).volumes.includes(extra), 'the volume made by hand is seen');
      await served('a.test', 'a:hello');
      await served('b.test', 'b:hello');
      await cacheMatchesListing('the daemon put them back');
      await execa('podman', ['volume', 'rm', extra]);
      await cacheMatchesListing('the volume removed by hand');
      assert.ok(!(await viaCache()).volumes.includes(extra));
    } finally {
      await execa('podman', ['volume', 'rm', '-f', extra], { reject: false });
    }
  });
});
