// Every workload reachable on the instance network: a container off it, or with a stale fixed address or hosts
// entry, is replaced (health-gated, as any change); judged from the one observation, without an inspect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import type { ContainerInfo } from '../../../src/model/containers.js';
import type { DesiredWorkload } from '../../../src/model/workload.js';
import type { ObservedState } from '../../../src/observed/types.js';
import { LABEL_NETWORK, networkDrift, networkLabelValue } from '../../../src/plan/network.js';
import { type PlanHistory, plan } from '../../../src/plan/plan.js';
import type { Plan } from '../../../src/plan/types.js';
import { type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../../support/fixtures.js';

const NET = 'hiy'; // the default instance's network

/** The engine's history always says which addresses were given; none by default. */
const NONE: PlanHistory = { network: { addresses: {} } };

const planOf = (
  ws: DesiredWorkload[],
  observed: ObservedState = emptyObserved(),
  history: PlanHistory = NONE,
) => plan({ desired: desired(ws), observed, observedFingerprint: 'fp', settings: SETTINGS, history });

/** The observation after `p` was applied, each container on `networks` with the network label apply sets. */
function onNetwork(
  p: Plan,
  net: (c: ContainerInfo) => { networks: string[]; label?: Parameters<typeof networkLabelValue>[0] },
): ObservedState {
  const o = observedAfter(p);
  o.containers = o.containers.map((c) => {
    const { networks, label } = net(c);
    return {
      ...c,
      networks,
      labels: label ? { ...c.labels, [LABEL_NETWORK]: networkLabelValue(label) } : c.labels,
    };
  });
  return o;
}

const kinds = (p: Plan) => p.actions.map((a) => `${a.kind} ${a.address}`);

describe('the instance network in the plan', () => {
  const web = () => port('web', { routes: [{ host: 'web.example.com', port: 8080 }] });
  const data = () => port('keeper', { volumes: [{ name: 'data', mountPath: '/data' }] });

  it('a container on the network as it was created plans nothing', () => {
    const first = planOf([web(), data()]);
    const o = onNetwork(first, (c) => ({
      networks: [NET],
      label: { name: NET, aliases: [c.name.slice('hiy-'.length)] },
    }));
    assert.deepEqual(planOf([web(), data()], o).actions, []);
  });

  it('a container off the instance network is replaced, with the reason; start-first when it shares nothing', () => {
    const first = planOf([web(), data()]);
    const o = onNetwork(first, () => ({ networks: ['podman'] }));
    const p = planOf([web(), data()], o);
    assert.deepEqual(kinds(p), [
      'container.replace container/hiy-keeper',
      'container.replace container/hiy-web',
      'route.change route/port/web',
    ]);
    const [keeper, w] = p.actions as Extract<Plan['actions'][number], { kind: 'container.replace' }>[];
    assert.equal(keeper!.reason, 'not on the instance network hiy');
    assert.equal(keeper!.strategy, 'stop-first');
    assert.deepEqual(keeper!.patch, [], 'the spec itself did not change');
    assert.equal(w!.reason, 'not on the instance network hiy (new one starts first)');
    assert.equal(w!.strategy, 'start-first');
  });

  it('a container on no network at all (Networks empty) is replaced too; unreported networks are not judged', () => {
    const first = planOf([web()]);
    assert.equal(
      planOf(
        [web()],
        onNetwork(first, () => ({ networks: [] })),
      ).actions[0]?.kind,
      'container.replace',
    );
    assert.deepEqual(planOf([web()], observedAfter(first)).actions, [], 'no networks reported, no label');
  });

  it('a stopped container off the network is replaced, not just started', () => {
    const first = planOf([data()]);
    const o = onNetwork(first, () => ({ networks: ['podman'] }));
    o.containers[0]!.state = 'exited';
    assert.deepEqual(kinds(planOf([data()], o)), ['container.replace container/hiy-keeper']);
  });

  it('a stale fixed address of a link target, or a stale hosts entry of a linker, is replaced', () => {
    const db = { ...port('db', { volumes: [{ name: 'data', mountPath: '/data' }] }), linkTarget: true };
    const app = { ...port('app'), links: { db: 'port/db' } };
    const now = { network: { addresses: { 'port/db': '10.89.0.254' } } };
    const first = planOf([db, app], emptyObserved(), now);
    const at = (ip: string) =>
      onNetwork(first, (c) =>
        c.name === 'hiy-db'
          ? { networks: [NET], label: { name: NET, aliases: ['db'], ip } }
          : { networks: [NET], label: { name: NET, aliases: ['app'], hosts: { db: ip } } },
      );
    assert.deepEqual(planOf([db, app], at('10.89.0.254'), now).actions, []);
    const p = planOf([db, app], at('10.89.0.200'), now);
    assert.deepEqual(
      p.actions.map((a) => `${a.address}: ${a.reason}`),
      [
        'container/hiy-app: stale hosts entries on hiy: db is at 10.89.0.254, not 10.89.0.200 (new one starts first)',
        'container/hiy-db: its fixed address on hiy is 10.89.0.254, not 10.89.0.200',
      ],
    );
    // An address not given yet (network.json has none) is given at the next create: nothing to judge now.
    assert.deepEqual(planOf([db, app], at('10.89.0.200')).actions, []);
  });

  it('without the network in the history (an apply with no instance network) nothing is judged', () => {
    const first = planOf([web()]);
    assert.deepEqual(
      planOf(
        [web()],
        onNetwork(first, () => ({ networks: ['podman'] })),
        {},
      ).actions,
      [],
    );
  });

  it('networkDrift reads a label written by another network as off it', () => {
    const c = {
      id: 'x',
      name: 'hiy-web',
      image: 'i',
      imageId: 'i',
      state: 'running',
      ports: [],
      createdAt: 0,
      labels: { [LABEL_NETWORK]: networkLabelValue({ name: 'hiy-old', aliases: ['web'] }) },
    };
    assert.equal(networkDrift(web(), c, { name: NET, addresses: {} }), 'not on the instance network hiy');
    assert.equal(networkDrift(web(), { ...c, labels: {} }, { name: NET, addresses: {} }), undefined);
  });
});

describe('the instance network on the fake drivers', () => {
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

    w.podman.disconnectNetwork('hiy-unit', 'hiy-unit-web');
    const { plan: p, result } = await applyOnce();
    assert.deepEqual(
      p.actions.filter((a) => a.kind === 'container.replace').map((a) => a.reason),
      ['not on the instance network hiy-unit (new one starts first)'],
    );
    assert.equal(result.ok, true, JSON.stringify(result.results));
    const [c] = await w.podman.listContainers({ 'hiy.resource': 'port/web' });
    assert.deepEqual(c?.networks, ['hiy-unit']);
    assert.equal(JSON.parse(c!.labels[LABEL_NETWORK]!).name, 'hiy-unit');

    const again = w.podman.calls + w.caddy.calls;
    assert.deepEqual((await applyOnce()).plan.actions, []);
    assert.equal(w.podman.calls + w.caddy.calls - again, 3);
  });
});
