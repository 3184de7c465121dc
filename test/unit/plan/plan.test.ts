// The pure planner: create from empty, idempotence, updates, replacement, removal (volumes retained).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan } from '../../../src/plan/plan.js';
import type { Plan } from '../../../src/plan/types.js';
import { app, desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const greeter = () =>
  port('greeter', {
    env: { GREETING: 'hello' },
    volumes: [{ name: 'data', mountPath: '/data' }],
    routes: [{ host: 'greeter.example.com', port: 8080 }],
    ports: [{ containerPort: 22, hostPort: 2222 }],
  });

function planOf(workloads = [greeter()], observed = emptyObserved()): Plan {
  return plan({ desired: desired(workloads), observed, observedFingerprint: 'fp', settings: SETTINGS });
}

const kinds = (p: Plan) => p.actions.map((a) => `${a.kind} ${a.address}`);

describe('plan', () => {
  it('creates volume, container, route and HIY’s Caddy server from nothing, in phase order', () => {
    const p = planOf();
    assert.deepEqual(kinds(p), [
      'volume.create volume/hiy-greeter-data',
      'container.create container/hiy-greeter',
      'route.change caddy/hiy',
      'route.change route/port/greeter',
    ]);
    assert.deepEqual(p.summary, { create: 4, update: 0, replace: 0, delete: 0 });
    const create = p.actions.find((a) => a.kind === 'container.create');
    assert.ok(create && create.kind === 'container.create');
    assert.equal(create.run.labels['hiy.managed-by'], 'hiy');
    assert.equal(create.run.labels['hiy.resource'], 'port/greeter');
    assert.ok(create.run.publish.some((m) => m.hostPort === 2222 && m.containerPort === 22));
    const upstream = create.run.publish.find((m) => m.hostIp === '127.0.0.1' && m.containerPort === 8080);
    assert.ok(upstream);
    assert.deepEqual(p.proxy.routes, [
      {
        resource: 'port/greeter',
        host: 'greeter.example.com',
        path: '/',
        upstream: `127.0.0.1:${upstream.hostPort}`,
      },
    ]);
  });

  it('is empty once applied (idempotent), and a plan is plain JSON', () => {
    const first = planOf();
    assert.deepEqual(JSON.parse(JSON.stringify(first)), first);
    const second = planOf([greeter()], observedAfter(first));
    assert.deepEqual(second.actions, []);
    assert.deepEqual(second.retained, []);
  });

  it('replaces the container when an env var changes, with a JSON patch and a reason', () => {
    const first = planOf();
    const changed = port('greeter', {
      env: { GREETING: 'hi' },
      volumes: [{ name: 'data', mountPath: '/data' }],
      routes: [{ host: 'greeter.example.com', port: 8080 }],
      ports: [{ containerPort: 22, hostPort: 2222 }],
    });
    const p = planOf([changed], observedAfter(first));
    assert.deepEqual(kinds(p), ['container.replace container/hiy-greeter']);
    const a = p.actions[0]!;
    assert.deepEqual(a.patch, [{ op: 'replace', path: '/env/GREETING', value: 'hi' }]);
    assert.match(a.reason, /env\.GREETING/);
    // The upstream port is kept, so Caddy needs no change.
    assert.equal(p.actions.filter((x) => x.kind === 'route.change').length, 0);
  });

  it('replaces a stateless container start-first, on a fresh upstream port', () => {
    const web = (greeting: string) =>
      port('web', { env: { GREETING: greeting }, routes: [{ host: 'web.example.com', port: 8080 }] });
    const first = planOf([web('hello')]);
    const p = planOf([web('hi')], observedAfter(first));
    assert.deepEqual(kinds(p), ['container.replace container/hiy-web', 'route.change route/port/web']);
    const replace = p.actions[0]!;
    assert.ok(replace.kind === 'container.replace');
    assert.equal(replace.strategy, 'start-first');
    assert.equal(replace.run.name, 'hiy-web_next');
    assert.equal(replace.finalName, 'hiy-web');
    assert.notEqual(p.proxy.routes[0]!.upstream, first.proxy.routes[0]!.upstream);
    assert.deepEqual(planOf([web('hi')], observedAfter(p, observedAfter(first))).actions, []);
  });

  it('replaces a container with volumes or host ports stop-first', () => {
    const first = planOf();
    const p = planOf(
      [greeter()].map(() =>
        port('greeter', {
          env: { GREETING: 'x' },
          volumes: [{ name: 'data', mountPath: '/data' }],
          routes: [{ host: 'greeter.example.com', port: 8080 }],
          ports: [{ containerPort: 22, hostPort: 2222 }],
        }),
      ),
      observedAfter(first),
    );
    const replace = p.actions[0]!;
    assert.ok(replace.kind === 'container.replace');
    assert.equal(replace.strategy, 'stop-first');
    assert.equal(replace.run.name, 'hiy-greeter');
  });

  it('changes only the route when a route host changes', () => {
    const first = planOf();
    const moved = port('greeter', {
      env: { GREETING: 'hello' },
      volumes: [{ name: 'data', mountPath: '/data' }],
      routes: [{ host: 'www.example.com', port: 8080 }],
      ports: [{ containerPort: 22, hostPort: 2222 }],
    });
    const p = planOf([moved], observedAfter(first));
    assert.deepEqual(kinds(p), ['route.change route/port/greeter']);
    assert.equal(p.actions[0]!.change, 'update');
  });

  it('starts a stopped container instead of replacing it', () => {
    const observed = observedAfter(planOf());
    observed.containers[0]!.state = 'exited';
    const p = planOf([greeter()], observed);
    assert.deepEqual(kinds(p), ['container.start container/hiy-greeter']);
    assert.equal(p.actions[0]!.change, 'update');
  });

  it('removes a deleted resource’s container and route but keeps its volume as retained', () => {
    const observed = observedAfter(planOf());
    const p = planOf([], observed);
    assert.deepEqual(kinds(p), ['route.change route/port/greeter', 'container.delete container/hiy-greeter']);
    assert.deepEqual(
      p.retained.map((r) => r.name),
      ['hiy-greeter-data'],
    );
    assert.ok(!p.actions.some((a) => a.address.startsWith('volume/')));
  });

  it('builds an App image only when its commit changes', () => {
    const c1 = 'a'.repeat(40);
    const c2 = 'b'.repeat(40);
    const first = planOf([app('blog', c1)]);
    assert.deepEqual(kinds(first), [
      'image.build image/localhost/hiy/blog:aaaaaaaaaaaa',
      'container.create container/hiy-blog',
    ]);
    assert.deepEqual(planOf([app('blog', c1)], observedAfter(first)).actions, []);
    const next = planOf([app('blog', c2)], observedAfter(first));
    assert.deepEqual(kinds(next), [
      'image.build image/localhost/hiy/blog:bbbbbbbbbbbb',
      'container.replace container/hiy-blog',
    ]);
  });

  it('re-creates HIY’s Caddy routes when Caddy lost them', () => {
    const observed = observedAfter(planOf());
    observed.proxy = { present: false, pristine: true };
    const p = planOf([greeter()], observed);
    assert.deepEqual(kinds(p), ['route.change caddy/hiy', 'route.change route/port/greeter']);
  });

  it('routes an exact host before a wildcard covering it, and reorders routes an older HIY loaded by name', () => {
    const wild = port('a-wild', { routes: [{ host: '*.example.test', port: 8080 }] });
    const other = port('z-other', { routes: [{ host: 'other.example.test', port: 8080 }] });
    const first = planOf([wild, other]);
    assert.deepEqual(
      first.proxy.routes.map((r) => r.host),
      ['other.example.test', '*.example.test'],
    );
    const box = observedAfter(first);
    assert.deepEqual(planOf([wild, other], box).actions, []);
    // What an older HIY loaded: the wildcard first, so it took other.example.test's requests.
    box.proxy.state = { ...box.proxy.state!, routes: [...box.proxy.state!.routes].reverse() };
    const p = planOf([wild, other], box);
    assert.deepEqual(kinds(p), ['route.change caddy/hiy']);
    assert.match(p.actions[0]!.reason, /not in match order/);
    assert.deepEqual(
      p.proxy.routes.map((r) => r.host),
      ['other.example.test', '*.example.test'],
    );
  });

  it("gives HIY's Caddy server its access log in the data directory, once; a server without one is updated", () => {
    const withData = (observed = emptyObserved()) =>
      plan({
        desired: desired([greeter()]),
        observed,
        observedFingerprint: 'fp',
        settings: { ...SETTINGS, dataDir: '/var/lib/hiy/' },
      });
    const first = withData();
    assert.equal(first.proxy.accessLog, '/var/lib/hiy/access-log/access.log');
    assert.deepEqual(withData(observedAfter(first)).actions, [], 'nothing more once Caddy has it');
    // What an older HIY loaded: the same server and routes, no access log.
    const old = observedAfter(planOf());
    const p = withData(old);
    assert.deepEqual(kinds(p), ['route.change caddy/hiy']);
    assert.equal(
      p.actions[0]!.reason,
      "the access log of HIY's Caddy server changed (now /var/lib/hiy/access-log/access.log)",
    );
  });

  it('flags a plan that removes more than half of the managed resources', () => {
    const all = [port('a'), port('b'), port('c')];
    const observed = observedAfter(planOf(all));
    assert.equal(planOf(all.slice(0, 2), observed).massDelete, undefined);
    assert.deepEqual(planOf(all.slice(0, 1), observed).massDelete, {
      removing: ['port/b', 'port/c'],
      managed: 3,
    });
    assert.deepEqual(planOf([], observed).massDelete?.managed, 3);
  });

  it('never picks an upstream port another HIY instance publishes', () => {
    const free = planOf([greeter()]);
    const taken = Number(free.proxy.routes[0]!.upstream.split(':')[1]);
    const observed = emptyObserved();
    observed.portsInUse = [taken];
    const p = planOf([greeter()], observed);
    assert.notEqual(p.proxy.routes[0]!.upstream, `127.0.0.1:${taken}`);
  });

  it('gives each proxied port a distinct, stable upstream port', () => {
    const ws = Array.from({ length: 50 }, (_, i) =>
      port(`svc${i}`, { routes: [{ host: `s${i}.example.com`, port: 80 }] }),
    );
    const a = planOf(ws);
    const b = planOf(ws);
    assert.deepEqual(a.proxy, b.proxy);
    const ports = a.proxy.routes.map((r) => r.upstream);
    assert.equal(new Set(ports).size, 50);
  });
});
