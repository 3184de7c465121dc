// One reconcile run of the daemon on the fake drivers: the state of the world after it (containers, Caddy
// routes, status, events), backoff leaving a failing resource out, and failures before planning.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { FakeCaddy } from '../../../src/drivers/caddy/fake.js';
import { parseOwned } from '../../../src/drivers/caddy/render.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import type { Prober } from '../../../src/drivers/probe/prober.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { ControllerEvent } from '../../../src/model/events.js';
import { LABEL_RESOURCE } from '../../../src/model/labels.js';
import { DEFAULT_SETTINGS } from '../../../src/model/settings.js';
import { type ReconcileRunOptions, reconcileOnce } from '../../../src/reconcile/run.js';
import { EventLog } from '../../../src/store/events.js';
import { openStores } from '../../../src/store/index.js';
import { StatusStore } from '../../../src/store/status.js';
import { MemoryGit } from '../../support/memoryGit.js';

const STATE = '/mem/state';
const INSTANCE = 'runtest';
const SERVER = 'hiy-runtest';
const IMAGE = 'localhost/example/web:1';
const MISSING = 'localhost/example/missing:1';
const t0 = new Date('2026-03-01T12:00:00Z');

const noProbes: Prober = {
  httpGet: () => Promise.reject(new Error('unexpected http probe')),
  tcpConnect: () => Promise.reject(new Error('unexpected tcp probe')),
};

function portYaml(name: string, opts: { image?: string; greeting?: string; host?: string } = {}): string {
  return `apiVersion: hiy/v1
kind: Port
metadata:
  name: ${name}
spec:
  image: ${opts.image ?? IMAGE}
  env:
    G: "${opts.greeting ?? '1'}"
  routes:
    - host: ${opts.host ?? `${name}.test`}
      port: 8080
`;
}

interface World {
  dataDir: string;
  git: MemoryGit;
  podman: FakePodman;
  caddy: FakeCaddy;
  engine: Engine;
  /** The clock the run reads; tests move it. */
  now: Date;
  published: ControllerEvent[];
  run(extra?: Partial<ReconcileRunOptions>): ReturnType<typeof reconcileOnce>;
  containers(): Promise<Map<string, { state: string; env: Record<string, string>; ports: number[] }>>;
  routes(): Promise<{ host: string; resource: string; upstream: string }[]>;
  eventTypes(): Promise<string[]>;
}

async function world(): Promise<World> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hiy-run-'));
  const git = new MemoryGit(STATE);
  const podman = new FakePodman();
  podman.addImage(IMAGE);
  const caddy = new FakeCaddy();
  const engine: Engine = {
    settings: {
      ...DEFAULT_SETTINGS,
      stateRepo: STATE,
      dataDir,
      instance: INSTANCE,
      tls: 'off',
      httpAddr: '127.0.0.1:18080',
    },
    podman,
    caddy,
    git,
    prober: noProbes,
    exportCommit: () => Promise.reject(new Error('no builds here')),
    logger: pino({ level: 'silent' }),
    stores: openStores(dataDir),
  };
  const w: World = {
    dataDir,
    git,
    podman,
    caddy,
    engine,
    now: t0,
    published: [],
    run: (extra = {}) =>
      reconcileOnce({
        engine,
        events: engine.stores.events,
        logger: engine.logger,
        clock: () => w.now,
        backoff: { baseMs: 10_000, maxMs: 600_000 },
        triggers: [{ kind: 'resync' }],
        publish: (list) => w.published.push(...list),
        ...extra,
      }),
    async containers() {
      const list = await podman.listContainers({ 'hiy.instance': INSTANCE });
      return new Map(
        list.map((c) => [
          c.labels[LABEL_RESOURCE] ?? '',
          {
            state: c.state,
            env: (JSON.parse(c.labels['hiy.spec'] ?? '{}') as { env: Record<string, string> }).env,
            ports: c.ports.filter((p) => p.hostIp === '127.0.0.1').map((p) => p.hostPort),
          },
        ]),
      );
    },
    async routes() {
      const owned = parseOwned(await caddy.getConfig(), SERVER);
      return (owned.state?.routes ?? []).map((r) => ({
        host: r.host,
        resource: r.resource,
        upstream: r.upstream,
      }));
    },
    async eventTypes() {
      return (await new EventLog(dataDir).read({})).map(
        (e) => `${e.type}${e.resource ? ` ${e.resource}` : ''}`,
      );
    },
  };
  return w;
}

describe('reconcileOnce', () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });
  afterEach(async () => {
    await rm(w.dataDir, { recursive: true, force: true });
  });

  it('converges the box: containers run, routes are loaded, status and events are written', async () => {
    const commit = w.git.commit({ 'web.yaml': portYaml('web'), 'api.yaml': portYaml('api') });
    const earlier = [
      { type: 'snapshot.taken' as const, resource: 'port/web', message: 'scheduled snapshot' },
    ];
    const planned: string[][] = [];
    const outcome = await w.run({
      earlier,
      onPlanned: (d) => planned.push(d.workloads.map((x) => x.id)),
    });
    assert.deepEqual(outcome, { ok: true, commit, actions: 5 });
    assert.deepEqual(earlier, [], 'the earlier events were taken');
    assert.deepEqual(planned, [['port/api', 'port/web']]);

    const containers = await w.containers();
    assert.deepEqual([...containers.keys()].sort(), ['port/api', 'port/web']);
    assert.ok([...containers.values()].every((c) => c.state === 'running'));
    assert.deepEqual(await w.routes(), [
      {
        host: 'api.test',
        resource: 'port/api',
        upstream: `127.0.0.1:${containers.get('port/api')!.ports[0]}`,
      },
      {
        host: 'web.test',
        resource: 'port/web',
        upstream: `127.0.0.1:${containers.get('port/web')!.ports[0]}`,
      },
    ]);

    const status = await new StatusStore(w.dataDir).read();
    assert.equal(status.lastAppliedCommit, commit);
    assert.equal(status.lastAppliedAt, t0.toISOString(), 'stamped by the injected clock');
    for (const id of ['port/api', 'port/web']) {
      const ready = status.resources[id]?.conditions?.find((c) => c.type === 'Ready');
      assert.equal(ready?.status, 'True', id);
    }
    assert.deepEqual(await w.eventTypes(), [
      'snapshot.taken port/web',
      'reconcile.started',
      'resource.applied port/api',
      'resource.applied port/web',
      'reconcile.finished',
    ]);
    assert.deepEqual(
      w.published.map((e) => e.type),
      ['snapshot.taken', 'reconcile.started', 'resource.applied', 'resource.applied', 'reconcile.finished'],
    );

    // A second run finds nothing to do: one read of Caddy, no write, nothing added to the history.
    const caddyCalls = w.caddy.calls;
    w.published.length = 0;
    assert.deepEqual(await w.run(), { ok: true, commit, actions: 0 });
    assert.equal(w.caddy.calls - caddyCalls, 1);
    assert.equal((await w.eventTypes()).length, 5);
    assert.deepEqual(
      w.published.map((e) => [e.seq, e.type, e.message]),
      [[0, 'reconcile.finished', `commit ${commit.slice(0, 12)}: no changes`]],
    );
  });

  it('leaves a resource backing off out of the plan while the rest converges, and retries it when due', async () => {
    w.git.commit({ 'web.yaml': portYaml('web'), 'broken.yaml': portYaml('broken', { image: MISSING }) });
    const first = await w.run();
    assert.equal(first.ok, false);
    assert.match(first.error ?? '', /container\/hiy-runtest-broken/);
    let status = await new StatusStore(w.dataDir).read();
    const backoff = status.resources['port/broken']?.backoff;
    assert.equal(backoff?.failures, 1);
    assert.equal(backoff?.retryAt, new Date(t0.getTime() + 10_000).toISOString());
    // The failed container phase stopped the apply before the routes: web runs, but is not routed yet.
    assert.deepEqual([...(await w.containers()).keys()], ['port/web']);
    assert.deepEqual(await w.routes(), []);

    // One second later web changes; broken is left out of the plan (not tried again), web converges.
    w.now = new Date(t0.getTime() + 1_000);
    const commit = w.git.commit({
      'web.yaml': portYaml('web', { greeting: '2' }),
      'broken.yaml': portYaml('broken', { image: MISSING }),
    });
    const second = await w.run();
    assert.deepEqual(second, { ok: true, commit, actions: 3 });
    const containers = await w.containers();
    assert.deepEqual([...containers.keys()], ['port/web']);
    assert.equal(containers.get('port/web')?.env['G'], '2');
    assert.deepEqual(await w.routes(), [
      {
        host: 'web.test',
        resource: 'port/web',
        upstream: `127.0.0.1:${containers.get('port/web')!.ports[0]}`,
      },
    ]);
    status = await new StatusStore(w.dataDir).read();
    const broken = status.resources['port/broken']!;
    assert.deepEqual(broken.backoff, backoff, 'not attempted: the failure count and retry time stay');
    assert.deepEqual(
      broken.conditions?.map((c) => [c.type, c.status, c.reason]),
      [
        ['Ready', 'False', 'BackingOff'],
        ['Reconciling', 'False', 'Deferred'],
        ['Stalled', 'True', 'BackingOff'],
      ],
    );
    const started = (await new EventLog(w.dataDir).read({})).filter((e) => e.type === 'reconcile.started');
    assert.deepEqual(started.at(-1)?.data?.['deferred'], ['port/broken']);

    // Once the retry time has come (and the image exists), broken is planned and applied again.
    w.podman.addImage(MISSING);
    w.now = new Date(t0.getTime() + 10_000);
    const third = await w.run();
    assert.equal(third.ok, true);
    assert.deepEqual([...(await w.containers()).keys()].sort(), ['port/broken', 'port/web']);
    status = await new StatusStore(w.dataDir).read();
    assert.equal(status.resources['port/broken']?.backoff, undefined);
    assert.deepEqual(
      (await w.routes()).map((r) => r.host),
      ['broken.test', 'web.test'],
    );
  });

  it('an invalid state repo plans nothing, and its error is recorded once', async () => {
    w.git.commit({ 'web.yaml': 'apiVersion: hiy/v1\nkind: Port\nmetadata: { name: web }\nspec: {}\n' });
    const first = await w.run();
    assert.equal(first.ok, false);
    assert.equal(first.actions, 0);
    const again = await w.run();
    assert.deepEqual(again, first);
    assert.deepEqual(await w.eventTypes(), ['reconcile.failed']);
    const status = await new StatusStore(w.dataDir).read();
    assert.equal(status.lastError, first.error);
    assert.deepEqual([...(await w.containers()).keys()], []);
  });
});
