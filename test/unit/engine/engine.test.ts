// One pass of the engine on the fake drivers: state repo → plan → apply → the box and the data directory.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CaddyConfig } from '../../../src/drivers/caddy/types.js';
import {
  applyAndRecord,
  assertSafeToApply,
  computePlan,
  MassDeleteError,
  StalePlanError,
  verifySavedPlan,
  withApplyLock,
} from '../../../src/engine/engine.js';
import { StateRepoInvalidError } from '../../../src/model/diagnostics.js';
import { ReleaseStore } from '../../../src/store/releases.js';
import { StatusStore } from '../../../src/store/status.js';
import { FAKE_IMAGES, type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';

/** Plans and applies once under the lock, as `hiy apply` does. */
async function applyOnce(w: FakeWorld) {
  return withApplyLock(w.engine, async () => {
    const planned = await computePlan(w.engine);
    const result = await applyAndRecord(w.engine, planned);
    return { plan: planned.plan, result };
  });
}

/** The hosts HIY's Caddy server routes, sorted. */
function routedHosts(config: CaddyConfig | null): string[] {
  const servers = (config as { apps?: { http?: { servers?: Record<string, { routes?: unknown[] }> } } })?.apps
    ?.http?.servers;
  const routes = servers?.['hiy-unit']?.routes ?? [];
  return [...new Set(JSON.stringify(routes).match(/[a-z]+\.test/g) ?? [])].sort();
}

describe('engine on fake drivers', () => {
  let w: FakeWorld;
  let first: string;
  before(async () => {
    w = await fakeEngine({
      files: {
        'db.yaml': portYaml('db', { volume: true, env: { GREETING: 'v1' } }),
        'web.yaml': portYaml('web', { host: 'web.test', env: { GREETING: 'v1' } }),
        'api.yaml': portYaml('api', { host: 'api.test' }),
      },
    });
    first = await w.commit({}, 'nothing new');
  });
  after(() => w.cleanup());

  const containers = async () =>
    Object.fromEntries((await w.podman.listContainers({})).map((c) => [c.name, c]));

  it('creates containers, volumes and routes from an empty box', async () => {
    const { plan, result } = await applyOnce(w);
    assert.equal(result.ok, true, JSON.stringify(result.results));
    assert.equal(plan.commit, first);
    const cs = await containers();
    assert.deepEqual(Object.keys(cs).sort(), ['hiy-unit-api', 'hiy-unit-db', 'hiy-unit-web']);
    assert.ok(Object.values(cs).every((c) => c.state === 'running'));
    assert.deepEqual(
      (await w.podman.listVolumes({})).map((v) => v.name),
      ['hiy-unit-db-data'],
    );
    assert.deepEqual(routedHosts(await w.caddy.getConfig()), ['api.test', 'web.test']);
  });

  it('a second run plans nothing and writes nothing to Caddy', async () => {
    const config = await w.caddy.getConfig();
    const callsBefore = w.caddy.calls;
    const { plan, result } = await applyOnce(w);
    assert.deepEqual(plan.actions, []);
    assert.equal(result.caddyWrites, 0);
    assert.equal(w.caddy.calls - callsBefore, 1, 'one read to observe, no load');
    assert.deepEqual(await w.caddy.getConfig(), config);
  });

  it('records the applied commit, Ready conditions and one release per resource', async () => {
    const status = await new StatusStore(w.dataDir).read();
    assert.equal(status.lastAppliedCommit, first);
    assert.equal(status.lastError, undefined);
    assert.deepEqual(Object.keys(status.resources).sort(), ['port/api', 'port/db', 'port/web']);
    for (const [id, rec] of Object.entries(status.resources)) {
      assert.equal(rec.lastAppliedCommit, first, id);
      const ready = rec.conditions?.find((c) => c.type === 'Ready');
      assert.equal(ready?.status, 'True', `${id} is Ready`);
    }
    const releases = await new ReleaseStore(w.dataDir).list('port/web');
    assert.deepEqual(
      releases.map((r) => [r.number, r.stateCommit, r.image, r.cause]),
      [[1, first, FAKE_IMAGES[0], 'apply']],
    );
    assert.equal(releases[0]?.workload?.id, 'port/web', 'the release keeps what rollback redeploys');
  });

  it('an update replaces the container, keeps its volume and data, and records a release', async () => {
    w.podman.writeVolumeFile('hiy-unit-db-data', 'file', 'one');
    const idBefore = (await containers())['hiy-unit-db']?.id;
    const second = await w.commit({
      'db.yaml': portYaml('db', { volume: true, image: FAKE_IMAGES[1], env: { GREETING: 'v2' } }),
    });
    const { plan, result } = await applyOnce(w);
    assert.equal(result.ok, true, JSON.stringify(result.results));
    assert.deepEqual(
      plan.actions.map((a) => [a.kind, a.resource]),
      [['container.replace', 'port/db']],
    );
    const db = (await containers())['hiy-unit-db'];
    assert.notEqual(db?.id, idBefore);
    assert.equal(db?.image, FAKE_IMAGES[1]);
    assert.equal(db?.state, 'running');
    assert.equal(w.podman.containerEnv('hiy-unit-db')?.GREETING, 'v2');
    assert.equal(w.podman.readVolumeFile('hiy-unit-db-data', 'file')?.toString(), 'one');
    assert.equal(Object.keys(await containers()).length, 3, 'the old container is gone');
    const releases = await new ReleaseStore(w.dataDir).list('port/db');
    assert.deepEqual(
      releases.map((r) => [r.number, r.stateCommit, r.image]),
      [
        [1, first, FAKE_IMAGES[0]],
        [2, second, FAKE_IMAGES[1]],
      ],
    );
    assert.equal(releases[1]?.snapshots.length, 1, 'the upgrade snapshotted the volume first');
    assert.equal((await new StatusStore(w.dataDir).read()).resources['port/db']?.lastAppliedCommit, second);
  });

  it('a saved plan is refused once the box or the state repo moved', async () => {
    await w.commit({ 'web.yaml': portYaml('web', { host: 'web.test', env: { GREETING: 'v2' } }) });
    const saved = (await computePlan(w.engine)).plan;
    assert.deepEqual([...new Set(saved.actions.map((a) => a.resource))], ['port/web']);
    // The box changes behind HIY's back: a container stopped by hand.
    await w.podman.stopContainer('hiy-unit-api', 0);
    await assert.rejects(verifySavedPlan(w.engine, saved), StalePlanError);
    await w.podman.startContainer('hiy-unit-api');
    assert.equal((await verifySavedPlan(w.engine, saved)).plan, saved, 'back as it was: accepted');
    // The state repo moves on.
    await w.commit({}, 'another commit');
    await assert.rejects(verifySavedPlan(w.engine, saved), /the state repo moved/);
    assert.equal(w.podman.containerEnv('hiy-unit-web')?.GREETING, 'v1', 'nothing was applied');
    assert.equal((await applyOnce(w)).result.ok, true);
    assert.equal(w.podman.containerEnv('hiy-unit-web')?.GREETING, 'v2');
  });

  it('an invalid state repo plans nothing and changes nothing', async () => {
    const before = await containers();
    const statusBefore = await new StatusStore(w.dataDir).read();
    await w.commit({ 'bad.yaml': 'apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: Bad_Name\nspec: {}\n' });
    const err = await computePlan(w.engine).catch((e: unknown) => e);
    assert.ok(err instanceof StateRepoInvalidError, String(err));
    assert.ok(err.diagnostics.some((d) => d.file === 'bad.yaml'));
    assert.deepEqual(await containers(), before);
    assert.deepEqual(await new StatusStore(w.dataDir).read(), statusBefore);
    await w.commit({ 'bad.yaml': null });
  });

  it('removing a resource removes its container and route and keeps its volume as retained', async () => {
    await w.commit({ 'db.yaml': null });
    const { plan, result } = await applyOnce(w);
    assert.equal(result.ok, true, JSON.stringify(result.results));
    assert.deepEqual(
      plan.retained.map((v) => v.name),
      ['hiy-unit-db-data'],
    );
    assert.equal((await containers())['hiy-unit-db'], undefined);
    assert.deepEqual(
      (await w.podman.listVolumes({})).map((v) => v.name),
      ['hiy-unit-db-data'],
    );
    assert.equal(w.podman.readVolumeFile('hiy-unit-db-data', 'file')?.toString(), 'one');
    assert.equal((await new StatusStore(w.dataDir).read()).resources['port/db'], undefined);
  });

  it('a mass delete is refused without --allow-mass-delete, and nothing is removed', async () => {
    await w.commit({ 'web.yaml': null, 'api.yaml': null });
    const refused = await withApplyLock(w.engine, async () => {
      const planned = await computePlan(w.engine);
      try {
        assertSafeToApply(planned.plan, { allowMassDelete: false });
      } catch (err) {
        return err;
      }
      return applyAndRecord(w.engine, planned);
    });
    assert.ok(refused instanceof MassDeleteError, String(refused));
    assert.deepEqual(refused.data, { removing: ['port/api', 'port/web'], managed: 2 });
    assert.deepEqual(Object.keys(await containers()).sort(), ['hiy-unit-api', 'hiy-unit-web']);
    assert.deepEqual(routedHosts(await w.caddy.getConfig()), ['api.test', 'web.test']);

    const allowed = await withApplyLock(w.engine, async () => {
      const planned = await computePlan(w.engine);
      assertSafeToApply(planned.plan, { allowMassDelete: true });
      return applyAndRecord(w.engine, planned);
    });
    assert.equal(allowed.ok, true);
    assert.deepEqual(await containers(), {});
    assert.deepEqual(routedHosts(await w.caddy.getConfig()), []);
    assert.deepEqual(
      (await w.podman.listVolumes({})).map((v) => v.name),
      ['hiy-unit-db-data'],
      'volumes are kept either way',
    );
  });
});
