// Each workload on exactly its networks (its own one, one internal network per link): a container on others (the
// old shared instance network) or missing one is replaced (health-gated, as any change); judged from the one
// observation, without an inspect. The names and addresses are pure.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import type { ContainerInfo } from '../../../src/model/containers.js';
import type { DesiredWorkload } from '../../../src/model/workload.js';
import type { ObservedState } from '../../../src/observed/types.js';
import {
  LABEL_NETWORK,
  linkNetwork,
  networkDrift,
  networkLabelValue,
  ownNetwork,
  targetAddress,
  workloadNetworks,
} from '../../../src/plan/network.js';
import { type PlanHistory, plan } from '../../../src/plan/plan.js';
import type { Plan } from '../../../src/plan/types.js';
import { type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const NET = { prefix: 'hiy' }; // the default instance's networks

/** The engine's history always says networks are judged. */
const JUDGED: PlanHistory = { networks: true };

const planOf = (
  ws: DesiredWorkload[],
  observed: ObservedState = emptyObserved(),
  history: PlanHistory = JUDGED,
) => plan({ desired: desired(ws), observed, observedFingerprint: 'fp', settings: SETTINGS, history });

/** The observation after `p` was applied, each container on `networks` (by its resource id). */
function onNetworks(p: Plan, net: (resource: string) => string[] | undefined): ObservedState {
  const o = observedAfter(p);
  o.containers = o.containers.map((c) => {
    const networks = net(c.labels['hiy.resource']!);
    return networks ? { ...c, networks } : c;
  });
  return o;
}

const kinds = (p: Plan) => p.actions.map((a) => `${a.kind} ${a.address}`);
const reasons = (p: Plan) => p.actions.map((a) => `${a.address}: ${a.reason}`);

describe('the networks of a workload (pure)', () => {
  it('its own network, one per link it makes and one per workload linking to it, sorted', () => {
    const db = { ...port('db'), linkTarget: true, linkedBy: ['app/web', 'port/admin'] };
    assert.deepEqual(workloadNetworks(db, NET), [
      'hiy.port.db',
      'hiy_link.app.web.port.db',
      'hiy_link.port.admin.port.db',
    ]);
    const web = { ...port('web'), links: { db: 'port/db', kv: 'port/kv' } };
    assert.deepEqual(workloadNetworks(web, NET), [
      'hiy.port.web',
      'hiy_link.port.web.port.db',
      'hiy_link.port.web.port.kv',
    ]);
    // Names are DNS labels (no dot): a link network never takes the name of an own network, nor of another link.
    assert.equal(ownNetwork('hiy-x', 'app/a'), 'hiy-x.app.a');
    assert.equal(linkNetwork('hiy-x', 'app/a', 'port/b'), 'hiy-x_link.app.a.port.b');
  });

  it("its own network comes first in byte order (Podman's), so its published ports forward to it", () => {
    // Podman (CNI) gives the published ports to each network in name order and the first DNAT wins; the host has
    // no route into an internal link network, so a link network first sent the host port elsewhere.
    for (const prefix of ['hiy', 'hiy-x', 'hiy-a1']) {
      const ctx = { prefix };
      for (const [linker, target] of [
        ['app/shop', 'port/db'],
        ['port/zz', 'app/a'],
        ['app/a', 'app/a-b'],
        ['port/web', 'port/db'],
      ] as const) {
        const t = { ...port(target.split('/')[1]!), id: target, linkTarget: true, linkedBy: [linker] };
        const l = { ...port(linker.split('/')[1]!), id: linker, links: { x: target } };
        for (const w of [t, l]) {
          const byteOrder = [...workloadNetworks(w, ctx)].sort((a, b) =>
            Buffer.compare(Buffer.from(a), Buffer.from(b)),
          );
          assert.equal(byteOrder[0], ownNetwork(prefix, w.id), `${w.id} with ${byteOrder.join(', ')}`);
        }
      }
    }
  });

  it('a link target sits at the top host of each link network', () => {
    assert.equal(targetAddress('10.89.3.0/24'), '10.89.3.254');
    assert.equal(targetAddress('10.90.0.0/16'), '10.90.255.254');
    assert.throws(() => targetAddress('fd00::/64'), /not an IPv4 subnet/);
  });
});

describe('the networks in the plan', () => {
  const web = () => port('web', { routes: [{ host: 'web.example.com', port: 8080 }] });
  const data = () => port('keeper', { volumes: [{ name: 'data', mountPath: '/data' }] });
  const own = (r: string) => [ownNetwork('hiy', r)];

  it('a container on its networks as it was created plans nothing', () => {
    const first = planOf([web(), data()]);
    assert.deepEqual(planOf([web(), data()], onNetworks(first, own)).actions, []);
  });

  it('a container on the old shared instance network is replaced onto its own, with the reason', () => {
    const first = planOf([web(), data()]);
    const p = planOf(
      [web(), data()],
      onNetworks(first, () => ['hiy']),
    );
    assert.deepEqual(kinds(p), [
      'container.replace container/hiy-keeper',
      'container.replace container/hiy-web',
      'route.change route/port/web',
    ]);
    const [keeper, w] = p.actions as Extract<Plan['actions'][number], { kind: 'container.replace' }>[];
    assert.equal(keeper!.reason, 'not on hiy.port.keeper; on hiy, which it must not reach');
    assert.equal(keeper!.strategy, 'stop-first');
    assert.deepEqual(keeper!.patch, [], 'the spec itself did not change');
    assert.equal(w!.reason, 'not on hiy.port.web; on hiy, which it must not reach (new one starts first)');
    assert.equal(w!.strategy, 'start-first');
  });

  it('a container on no network at all (Networks empty) is replaced too; unreported networks are not judged', () => {
    const first = planOf([web()]);
    assert.equal(
      planOf(
        [web()],
        onNetworks(first, () => []),
      ).actions[0]?.kind,
      'container.replace',
    );
    assert.deepEqual(planOf([web()], observedAfter(first)).actions, [], 'no networks reported, no label');
  });

  it('a stopped container off its networks is replaced, not just started', () => {
    const first = planOf([data()]);
    const o = onNetworks(first, () => ['podman']);
    o.containers[0]!.state = 'exited';
    assert.deepEqual(kinds(planOf([data()], o)), ['container.replace container/hiy-keeper']);
  });

  it('a new link replaces its target onto the new link network; a removed link takes it off again', () => {
    const db = (linkedBy?: string[]) => ({
      ...port('db', { volumes: [{ name: 'data', mountPath: '/data' }] }),
      linkTarget: true,
      ...(linkedBy && { linkedBy }),
    });
    const app = (name: string) => ({ ...port(name), links: { db: 'port/db' } });
    const one = [db(['port/a']), app('a')];
    const first = planOf(one);
    const create = first.actions.find((a) => a.address === 'container/hiy-db');
    assert.deepEqual(create?.kind === 'container.create' && create.linkedBy, ['port/a']);
    const networks = (ws: DesiredWorkload[]) => (r: string) =>
      workloadNetworks(ws.find((w) => w.id === r)!, NET);
    const o = onNetworks(first, networks(one));
    assert.deepEqual(planOf(one, o).actions, [], 'each on its networks: a no-op');

    const two = [db(['port/a', 'port/b']), app('a'), app('b')];
    assert.deepEqual(reasons(planOf(two, o)), [
      'container/hiy-b: port/b has no container',
      'container/hiy-db: not on hiy_link.port.b.port.db',
    ]);
    // The link removed: the target is taken off the link network (the linker changes anyway: its env and hosts).
    const dbWas = reasons(planOf([db(), port('a')], o)).filter((r) => r.startsWith('container/hiy-db'));
    assert.deepEqual(dbWas, ['container/hiy-db: on hiy_link.port.a.port.db, which it must not reach']);
  });

  it('without networks in the history (an apply with no instance networks) nothing is judged', () => {
    const first = planOf([web()]);
    assert.deepEqual(
      planOf(
        [web()],
        onNetworks(first, () => ['podman']),
        {},
      ).actions,
      [],
    );
  });

  it('networkDrift reads the label when Podman does not report networks, the old label too', () => {
    const c: ContainerInfo = {
      id: 'x',
      name: 'hiy-web',
      image: 'i',
      imageId: 'i',
      state: 'running',
      ports: [],
      createdAt: 0,
      labels: { [LABEL_NETWORK]: networkLabelValue({ name: 'hiy.port.web', aliases: ['web'] }) },
    };
    assert.equal(networkDrift(web(), c, NET), undefined);
    const old = { ...c, labels: { [LABEL_NETWORK]: '{"name":"hiy","ip":"10.89.0.254"}' } };
    assert.equal(networkDrift(web(), old, NET), 'not on hiy.port.web; on hiy, which it must not reach');
    assert.equal(networkDrift(web(), { ...c, labels: {} }, NET), undefined);
  });
});

describe('the networks on the fake drivers', () => {
  let w: FakeWorld;
  before(async () => {
    w = await fakeEngine({ files: { 'web.yaml': portYaml('web', { host: 'web.test' }) } });
  });
  after(() => w.cleanup());

  const applyOnce = () =>
    withApplyLock(w.engine, async () => {
      const planned = await computePlan(w.engine, { forApply: true });
      return { plan: planned.plan, result: await applyAndRecord(w.engine, planned) };
    });

  it('a container taken off the network is replaced by the next apply; then a no-op is 3 calls', async () => {
    assert.equal((await applyOnce()).result.ok, true);
    const calls = w.podman.calls + w.caddy.calls;
    assert.deepEqual((await applyOnce()).plan.actions, []);
    assert.equal(w.podman.calls + w.caddy.calls - calls, 3, 'a no-op reconcile: ps, volume ls, caddy config');

    w.podman.disconnectNetwork('hiy-unit.port.web', 'hiy-unit-web');
    const { plan: p, result } = await applyOnce();
    assert.deepEqual(
      p.actions.filter((a) => a.kind === 'container.replace').map((a) => a.reason),
      ['not on hiy-unit.port.web (new one starts first)'],
    );
    assert.equal(result.ok, true, JSON.stringify(result.results));
    const [c] = await w.podman.listContainers({ 'hiy.resource': 'port/web' });
    assert.deepEqual(c?.networks, ['hiy-unit.port.web']);
    assert.deepEqual(JSON.parse(c!.labels[LABEL_NETWORK]!).networks, ['hiy-unit.port.web']);
    assert.equal(
      w.podman.networks.get('hiy-unit.port.web')?.internal,
      false,
      'its own network has a way out',
    );

    const again = w.podman.calls + w.caddy.calls;
    assert.deepEqual((await applyOnce()).plan.actions, []);
    assert.equal(w.podman.calls + w.caddy.calls - again, 3);
  });
});
