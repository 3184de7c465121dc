// Recovery and `container.start` bring a container back from whatever state Podman left it in.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyPlan } from '../../../src/apply/apply.js';
import { ensureRunning } from '../../../src/apply/ensureRunning.js';
import { recover } from '../../../src/apply/recover.js';
import { FakeCaddy } from '../../../src/drivers/caddy/fake.js';
import { type FakeContainerState, FakePodman } from '../../../src/drivers/podman/fake.js';
import type { Prober } from '../../../src/drivers/probe/prober.js';
import type { DesiredWorkload } from '../../../src/model/workload.js';
import { fingerprintObserved, observe } from '../../../src/observed/observe.js';
import { plan } from '../../../src/plan/plan.js';
import { Journal } from '../../../src/store/journal.js';
import { desired, port, SETTINGS } from '../../support/fixtures.js';

const noProbes: Prober = {
  httpGet: () => Promise.reject(new Error('unexpected http probe')),
  tcpConnect: () => Promise.reject(new Error('unexpected tcp probe')),
};

const web = () =>
  port('web', {
    routes: [{ host: 'web.example.com', port: 8080 }],
    volumes: [{ name: 'data', mountPath: '/d' }],
  });

async function converge(podman: FakePodman, caddy: FakeCaddy, workloads: DesiredWorkload[]) {
  const observed = await observe({ podman, caddy, instance: SETTINGS.instance });
  const p = plan({
    desired: desired(workloads),
    observed,
    observedFingerprint: fingerprintObserved(observed),
    settings: SETTINGS,
  });
  const result = await applyPlan(p, {
    podman,
    caddy,
    prober: noProbes,
    exportCommit: () => Promise.reject(new Error('no builds here')),
    caddyConfig: observed.caddyConfig,
  });
  return { plan: p, result };
}

async function stateOf(podman: FakePodman, name: string): Promise<string | undefined> {
  return (await podman.listContainers({})).find((c) => c.name === name)?.state;
}

describe('bringing containers back', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'hiy-recover-'));
  after(() => rm(dataDir, { recursive: true, force: true }));

  async function oneContainer(): Promise<{ podman: FakePodman; caddy: FakeCaddy; name: string }> {
    const podman = new FakePodman();
    podman.addImage('localhost/example/web:1');
    const caddy = new FakeCaddy();
    assert.equal((await converge(podman, caddy, [web()])).result.ok, true);
    const [c] = await podman.listContainers({});
    assert.ok(c);
    return { podman, caddy, name: c.name };
  }

  it('ensureRunning: from every state Podman may leave, the container ends up running', async () => {
    const cases: [FakeContainerState, string | undefined][] = [
      ['running', undefined],
      ['created', 'started'],
      ['exited', 'started'],
      ['paused', 'unpaused'],
      ['stopping', 'finished the stop cut short (stopping) and started'],
    ];
    for (const [state, how] of cases) {
      const { podman, name } = await oneContainer();
      podman.setContainerState(name, state);
      // `podman start` alone is refused from paused and stopping, as real Podman refuses it.
      if (state === 'paused' || state === 'stopping')
        await assert.rejects(podman.startContainer(name), /container state improper/);
      assert.equal(await ensureRunning(podman, { name, state, stopTimeoutSeconds: 1 }), how, state);
      assert.equal(await stateOf(podman, name), 'running', state);
    }
  });

  it('the next apply starts a container left stopping or paused (planned as container.start)', async () => {
    for (const state of ['stopping', 'paused'] as const) {
      const { podman, caddy, name } = await oneContainer();
      podman.setContainerState(name, state);
      const { plan: p, result } = await converge(podman, caddy, [web()]);
      assert.deepEqual(
        p.actions.map((a) => a.kind),
        ['container.start'],
      );
      assert.equal(result.ok, true, JSON.stringify(result.results));
      assert.equal(await stateOf(podman, name), 'running');
    }
  });

  it('recovery of a stop-first upgrade cut short while stopping: the stop is finished, the old one runs', async () => {
    const { podman, name } = await oneContainer();
    podman.setContainerState(name, 'stopping');
    const journal = new Journal(dataDir);
    const id = journal.nextId('replace');
    await journal.write({ id, kind: 'replace', final: name, parked: `${name}_prev`, phase: 'stopping' });
    const r = await recover({ podman, dataDir, instance: SETTINGS.instance, journal });
    assert.deepEqual(r.steps, [
      `upgrade of ${name} interrupted before any change; finished the stop cut short (stopping) and started the old version again`,
    ]);
    assert.equal(await stateOf(podman, name), 'running');
    assert.deepEqual(await journal.open(), []);
  });

  it('recovery of a snapshot cut short: a container left paused or stopping runs again', async () => {
    for (const state of ['paused', 'stopping'] as const) {
      const { podman, name } = await oneContainer();
      podman.setContainerState(name, state);
      const journal = new Journal(dataDir);
      await journal.write({
        id: journal.nextId('stopped'),
        kind: 'stopped',
        containers: [name],
        phase: 'stopped',
      });
      const r = await recover({ podman, dataDir, instance: SETTINGS.instance, journal });
      assert.match(r.steps[0] ?? '', new RegExp(`${name} again \\(stopped for a snapshot\\)`));
      assert.equal(await stateOf(podman, name), 'running');
    }
  });
});
