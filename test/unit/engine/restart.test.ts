// Honest history: a restart is the planner's forced replace (reason and snapshot reason `restart`, no image build,
// no drift event), data versions are plan inputs, and rollback right after a restart skips the same spec.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rollback } from '../../../src/data/rollback.js';
import type { DesiredState } from '../../../src/desired/types.js';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import { restartResource } from '../../../src/engine/restart.js';
import { LABEL_ONE_OFF } from '../../../src/model/labels.js';
import type { DesiredWorkload } from '../../../src/model/workload.js';
import type { ObservedState } from '../../../src/observed/types.js';
import { plan } from '../../../src/plan/plan.js';
import type { ContainerReplace } from '../../../src/plan/types.js';
import { listSnapshots } from '../../../src/snapshots/snapshot.js';
import { type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';

async function applyOnce(w: FakeWorld) {
  return withApplyLock(w.engine, async () =>
    applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true })),
  );
}

describe('hiy restart as a plan request', () => {
  let w: FakeWorld;
  before(async () => {
    w = await fakeEngine({ files: { 'db.yaml': portYaml('db', { volume: true, env: { GREETING: 'v1' } }) } });
    assert.equal((await applyOnce(w)).ok, true);
    await w.commit({ 'db.yaml': portYaml('db', { volume: true, env: { GREETING: 'v2' } }) });
    assert.equal((await applyOnce(w)).ok, true);
  });
  after(() => w.cleanup());

  it('replaces the container with reason restart, builds nothing, snapshots with reason restart', async () => {
    const before = await w.engine.stores.events.read({ limit: 1000 });
    const outcome = await restartResource(w.engine, 'db', { actor: 'alice' });
    assert.equal(outcome.result.ok, true, JSON.stringify(outcome.result.results));
    assert.deepEqual(
      outcome.plan.actions.map((a) => [a.kind, a.reason]),
      [['container.replace', 'restart requested by alice']],
    );
    assert.equal((outcome.plan.actions[0] as ContainerReplace).trigger, 'restart');
    const snaps = await listSnapshots({ podman: w.podman, dataDir: w.dataDir }, 'hiy-unit-db-data');
    // One taken by the apply of v2 (an upgrade), one by the restart.
    assert.deepEqual(snaps.map((s) => s.reason).sort(), ['restart', 'upgrade']);
    const releases = await w.engine.stores.releases.list('port/db');
    assert.deepEqual(
      releases.map((r) => r.cause),
      ['apply', 'apply', 'restart'],
    );
    const events = (await w.engine.stores.events.read({ limit: 1000 })).slice(before.length);
    assert.deepEqual(
      events.map((e) => e.type),
      ['resource.restarted'],
    );
    // The box is converged: the next plan is empty.
    assert.deepEqual((await computePlan(w.engine)).plan.actions, []);
  });

  it('a one-off (hiy run, a job) of a resource, labelled like its image, is no stray: no plan, no drift', async () => {
    const release = (await w.engine.stores.releases.list('port/db')).at(-1)!;
    await w.podman.runContainer({
      ...release.run,
      name: 'hiy-unit-db-job-nightly-abc123',
      publish: [],
      labels: { ...release.run.labels, [LABEL_ONE_OFF]: 'job-nightly' },
    });
    assert.deepEqual((await computePlan(w.engine)).plan.actions, []);
    await w.podman.removeContainer('hiy-unit-db-job-nightly-abc123', 0);
  });

  it('rollback right after a restart goes back to the release before, not to the same spec', async () => {
    const outcome = await rollback(w.engine, { name: 'db', withData: false });
    assert.equal(outcome.result.ok, true);
    assert.equal(outcome.from, 3);
    assert.equal(outcome.to, 1);
    assert.ok(outcome.plan.actions.some((a) => a.kind === 'container.replace'));
  });
});

/** A minimal port workload for the pure planner. */
function portWorkload(dataVersion: number): DesiredWorkload {
  return {
    id: 'port/db',
    kind: 'Port',
    name: 'db',
    containerName: 'hiy-t-db',
    image: 'localhost/example/web:2',
    env: {},
    volumes: [{ name: 'data', volumeName: 'hiy-t-db-data', mountPath: '/data', readOnly: false }],
    routes: [],
    ports: [],
    internalPorts: [],
    restart: 'unless-stopped',
    stopGraceSeconds: 1,
    snapshotsKept: 5,
    specHash: `spec-${dataVersion}`,
    port: {
      name: 'db',
      version: '2.0.0',
      dataVersion,
      hooks: { dump: ['/bin/dump'], migrate: ['/bin/migrate'] },
    },
  } as unknown as DesiredWorkload;
}

describe('the planner takes data versions and requests as inputs', () => {
  const observed = (specHash: string): ObservedState =>
    ({
      containers: [
        {
          id: 'c1',
          name: 'hiy-t-db',
          image: 'localhost/example/web:1',
          state: 'running',
          labels: {
            'hiy.managed-by': 'hiy',
            'hiy.instance': 't',
            'hiy.resource': 'port/db',
            'hiy.spec-hash': specHash,
          },
          ports: [],
          networks: [],
        },
      ],
      volumes: [{ name: 'hiy-t-db-data', labels: {}, mountpoint: '/x' }],
      caddyConfig: null,
      proxy: { present: false, pristine: false },
      portsInUse: [],
    }) as unknown as ObservedState;
  const desired = (w: DesiredWorkload): DesiredState =>
    ({ repo: '/r', branch: 'main', commit: 'c', resources: [], workloads: [w] }) as unknown as DesiredState;
  const settings = {
    instance: 't',
    httpAddr: ':80',
    httpsAddr: ':443',
    tls: 'off',
    upstreamPorts: '20000-20100',
  };

  it('a higher data version plans the dump and migrate steps on the replace itself', () => {
    const p = plan({
      desired: desired(portWorkload(2)),
      observed: observed('old'),
      observedFingerprint: 'f',
      settings: settings as never,
      history: { dataVersions: { 'hiy-t-db-data': 1 } },
    });
    const replace = p.actions.find((a) => a.kind === 'container.replace') as ContainerReplace;
    assert.ok(replace, JSON.stringify(p.actions.map((a) => a.kind)));
    assert.deepEqual(replace.dump?.command, ['/bin/dump']);
    assert.equal(replace.dataVersion, 1);
    assert.deepEqual(replace.migrate && { from: replace.migrate.from, to: replace.migrate.to }, {
      from: 1,
      to: 2,
    });
    assert.equal(replace.trigger, undefined);
  });

  it('replace: [id] forces a replace of an unchanged container, reason restart, no migrate at the same version', () => {
    const w = portWorkload(1);
    const unchanged = plan({
      desired: desired(w),
      observed: observed(w.specHash),
      observedFingerprint: 'f',
      settings: settings as never,
      history: { dataVersions: { 'hiy-t-db-data': 1 } },
    });
    assert.deepEqual(unchanged.actions, []);
    const p = plan({
      desired: desired(w),
      observed: observed(w.specHash),
      observedFingerprint: 'f',
      settings: settings as never,
      history: { dataVersions: { 'hiy-t-db-data': 1 } },
      request: { replace: ['port/db'] },
    });
    assert.deepEqual(
      p.actions.map((a) => [a.kind, a.reason]),
      [['container.replace', 'restart']],
    );
    const replace = p.actions[0] as ContainerReplace;
    assert.equal(replace.trigger, 'restart');
    assert.equal(replace.migrate, undefined);
    assert.equal(replace.dataVersion, 1);
  });
});
