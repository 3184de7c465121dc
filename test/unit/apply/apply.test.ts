// The apply engine over the in-memory drivers (held to the same contract tests as the real ones).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPlan } from '../../../src/apply/apply.js';
import type { ApplyEvent } from '../../../src/apply/events.js';
import { FakeCaddy } from '../../../src/drivers/caddy/fake.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import type { Prober } from '../../../src/drivers/probe/prober.js';
import type { DesiredWorkload } from '../../../src/model/workload.js';
import { fingerprintObserved, observe } from '../../../src/observed/observe.js';
import { plan } from '../../../src/plan/plan.js';
import { desired, port, SETTINGS } from '../../support/fixtures.js';

// Probes are not used by these workloads (no http/tcp health checks); any call is a test failure.
const noProbes: Prober = {
  httpGet: () => Promise.reject(new Error('unexpected http probe')),
  tcpConnect: () => Promise.reject(new Error('unexpected tcp probe')),
};

function world() {
  const podman = new FakePodman();
  podman.addImage('localhost/example/web:1');
  const caddy = new FakeCaddy();
  return { podman, caddy };
}

async function converge(w: ReturnType<typeof world>, workloads: DesiredWorkload[], settings = SETTINGS) {
  const observed = await observe({ ...w, instance: settings.instance });
  const p = plan({
    desired: desired(workloads),
    observed,
    observedFingerprint: fingerprintObserved(observed),
    settings,
  });
  const events: ApplyEvent[] = [];
  const result = await applyPlan(p, {
    ...w,
    prober: noProbes,
    exportCommit: () => Promise.reject(new Error('no builds here')),
    caddyConfig: observed.caddyConfig,
    onEvent: (e) => events.push(e),
  });
  return { plan: p, result, events };
}

const web = (name: string, extra: Record<string, unknown> = {}) =>
  port(name, {
    routes: [{ host: `${name}.example.com`, port: 8080 }],
    volumes: [{ name: 'data', mountPath: '/d' }],
    ...extra,
  });

describe('applyPlan', () => {
  it('converges from empty with one Caddy load, then a re-plan is empty and writes nothing', async () => {
    const w = world();
    const first = await converge(w, [web('a'), web('b')]);
    assert.equal(first.result.ok, true);
    assert.equal(first.result.caddyWrites, 1);
    assert.equal(first.events.filter((e) => e.type === 'caddy.loaded').length, 1);
    const callsBefore = { podman: w.podman.calls, caddy: w.caddy.calls };
    const second = await converge(w, [web('a'), web('b')]);
    assert.deepEqual(second.plan.actions, []);
    // Only the three observation reads happened.
    assert.deepEqual(
      { podman: w.podman.calls - callsBefore.podman, caddy: w.caddy.calls - callsBefore.caddy },
      { podman: 2, caddy: 1 },
    );
  });

  it('keeps the user’s own Caddy servers when loading HIY’s routes', async () => {
    const w = world();
    await w.caddy.load({ apps: { http: { servers: { mine: { listen: [':8443'], routes: [] } } } } });
    await converge(w, [web('a')]);
    const config = (await w.caddy.getConfig()) as { apps: { http: { servers: Record<string, unknown> } } };
    assert.deepEqual(Object.keys(config.apps.http.servers).sort(), ['hiy', 'mine']);
  });

  it('a failing container stops the apply before routes and removals', async () => {
    const w = world();
    await converge(w, [web('a'), web('old')]);
    const broken = port('b', {
      image: 'localhost/missing:1',
      routes: [{ host: 'b.example.com', port: 8080 }],
    });
    const r = await converge(w, [web('a'), broken]);
    assert.equal(r.result.ok, false);
    const status = Object.fromEntries(r.result.results.map((x) => [x.address, x.status]));
    assert.equal(status['container/hiy-b'], 'failed');
    assert.equal(status['route/port/b'], 'skipped');
    assert.equal(status['container/hiy-old'], 'skipped');
    const names = (await w.podman.listContainers({})).map((c) => c.name).sort();
    assert.deepEqual(
      names,
      ['hiy-a', 'hiy-b', 'hiy-old'].filter((n) => n !== 'hiy-b'),
    );
  });

  it('a command health check that keeps failing fails the action with the probe’s last error', async () => {
    const w = world();
    w.podman.execHandler = () => 3;
    const unhealthy = port('sick', {
      healthcheck: { command: ['/bin/check'], interval: '50ms', timeout: '300ms' },
    });
    const r = await converge(w, [unhealthy]);
    assert.equal(r.result.ok, false);
    const failed = r.result.results.find((x) => x.status === 'failed');
    assert.match(failed?.error ?? '', /did not become healthy within .*\/bin\/check exited 3/);
  });

  it('a stop-first upgrade that never becomes healthy is rolled back, and its result says so as data', async () => {
    const w = world();
    let exitCode = 0;
    w.podman.execHandler = () => exitCode;
    const db = (greeting: string) =>
      port('db', {
        env: { GREETING: greeting },
        volumes: [{ name: 'data', mountPath: '/d' }],
        healthcheck: { command: ['/bin/check'], interval: '50ms', timeout: '300ms' },
      });
    assert.equal((await converge(w, [db('a')])).result.ok, true);
    exitCode = 3;
    const r = await converge(w, [db('b')]);
    const failed = r.result.results.find((x) => x.status === 'failed');
    assert.equal(failed?.rolledBack, true);
    assert.match(failed?.error ?? '', /rolled back to the previous container/);
    const running = (await w.podman.listContainers({})).map((c) => `${c.name}:${c.state}`);
    assert.deepEqual(running, ['hiy-db:running']);
  });

  it('a failure that is not a rollback carries no rolledBack, whatever its message says', async () => {
    const w = world();
    w.podman.execHandler = () => 3;
    const r = await converge(w, [
      port('rolled-back', { healthcheck: { command: ['/bin/check'], interval: '50ms', timeout: '300ms' } }),
    ]);
    const failed = r.result.results.find((x) => x.status === 'failed');
    assert.match(failed?.error ?? '', /rolled-back/);
    assert.equal(failed?.rolledBack, undefined);
  });

  it('upgrading a resource never touches another resource named like its temporary containers', async () => {
    const w = world();
    const stateless = (name: string, greeting: string) =>
      port(name, { env: { GREETING: greeting }, routes: [{ host: `${name}.example.com`, port: 8080 }] });
    const stateful = (name: string, greeting: string) =>
      port(name, { env: { GREETING: greeting }, volumes: [{ name: 'data', mountPath: '/d' }] });
    await converge(w, [
      stateless('web', 'a'),
      stateless('web-next', 'a'),
      stateful('db', 'a'),
      stateful('db-prev', 'a'),
    ]);
    const r = await converge(w, [
      stateless('web', 'b'),
      stateless('web-next', 'a'),
      stateful('db', 'b'),
      stateful('db-prev', 'a'),
    ]);
    assert.equal(r.result.ok, true);
    const names = (await w.podman.listContainers({})).map((c) => `${c.name}:${c.state}`).sort();
    assert.deepEqual(names, [
      'hiy-db-prev:running',
      'hiy-db:running',
      'hiy-web-next:running',
      'hiy-web:running',
    ]);
  });

  it('never deletes a volume: a removed resource leaves it in place', async () => {
    const w = world();
    await converge(w, [web('a')]);
    const r = await converge(w, []);
    assert.equal(r.result.ok, true);
    assert.deepEqual(
      r.plan.retained.map((v) => v.name),
      ['hiy-a-data'],
    );
    assert.deepEqual(
      (await w.podman.listVolumes({})).map((v) => v.name),
      ['hiy-a-data'],
    );
    assert.deepEqual(await w.podman.listContainers({}), []);
  });
});

describe('applyPlan: prepare, then mutate', () => {
  type Config = { apps: { http: { servers: Record<string, unknown> }; tls?: unknown } };
  /** Everything an apply could change: containers (by id, state and spec), volumes, Caddy's config. */
  async function box(w: ReturnType<typeof world>) {
    return {
      containers: (await w.podman.listContainers({}))
        .map((c) => `${c.name} ${c.id} ${c.state} ${c.labels['hiy.spec-hash']}`)
        .sort(),
      volumes: (await w.podman.listVolumes({})).map((v) => v.name).sort(),
      caddy: await w.caddy.getConfig(),
    };
  }
  /** The upgrade of a (stop-first) and a new resource b, with the removal of old. */
  const upgrade = [web('a', { env: { GREETING: 'new' } }), web('b')];

  function assertNothingRan(r: Awaited<ReturnType<typeof converge>>, error: RegExp) {
    assert.equal(r.result.ok, false);
    assert.equal(r.result.caddyWrites, 0);
    for (const x of r.result.results) {
      const kind = r.plan.actions.find((a) => a.address === x.address)?.kind;
      if (kind === 'route.change') {
        assert.equal(x.status, 'failed', x.address);
        assert.match(x.error ?? '', error);
      } else assert.equal(x.status, 'skipped', x.address);
    }
    assert.deepEqual(
      r.events.filter((e) => e.type === 'action.started'),
      [],
    );
  }

  it('a listen address Caddy refuses fails the apply before a stop-first upgrade stops anything', async () => {
    const w = world();
    await converge(w, [web('a'), web('old')]);
    const before = await box(w);
    const r = await converge(w, upgrade, { ...SETTINGS, httpAddr: '127.0.0.1:99999' });
    assert.ok(
      r.plan.actions.some((a) => a.kind === 'container.replace' && a.strategy === 'stop-first'),
      'the plan holds a stop-first upgrade',
    );
    assert.ok(r.plan.actions.some((a) => a.kind === 'container.create'));
    assert.ok(r.plan.actions.some((a) => a.kind === 'container.delete'));
    assertNothingRan(
      r,
      /HIY's Caddy config is not valid, nothing was changed: .*invalid listener address "127\.0\.0\.1:99999"/,
    );
    assert.deepEqual(await box(w), before, 'every container, volume and route as it was');
  });

  it('a listen address another Caddy server claims fails the apply before anything changed', async () => {
    const w = world();
    await converge(w, [web('a'), web('old')]);
    const config = (await w.caddy.getConfig()) as Config;
    config.apps.http.servers['mine'] = { listen: [':8080-8090'], routes: [] };
    await w.caddy.load(config);
    const before = await box(w);
    const r = await converge(w, upgrade, { ...SETTINGS, httpAddr: ':8081' });
    assertNothingRan(
      r,
      /server (hiy|mine): listener address tcp\/:8081 is already claimed by server '(mine|hiy)'/,
    );
    assert.deepEqual(await box(w), before);
  });

  it('a TLS policy of the user for one of HIY’s hosts fails the apply before anything changed', async () => {
    const w = world();
    await converge(w, [web('a')]);
    const config = (await w.caddy.getConfig()) as Config;
    config.apps.tls = {
      automation: { policies: [{ subjects: ['b.example.com'], issuers: [{ module: 'acme' }] }] },
    };
    await w.caddy.load(config);
    const before = await box(w);
    const r = await converge(w, upgrade, { ...SETTINGS, tls: 'internal' });
    assertNothingRan(r, /TLS automation policy 1: host b\.example\.com already has policy 0/);
    assert.deepEqual(await box(w), before);
  });
});
