// Rollback on the fake drivers: releases redeployed (image and config), data restored, pins set, shown and lifted.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RollbackError, rollback, unpin } from '../../../src/data/rollback.js';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import { computeStatusView } from '../../../src/engine/statusView.js';
import { EventLog } from '../../../src/store/events.js';
import { PinStore } from '../../../src/store/pins.js';
import { ReleaseStore } from '../../../src/store/releases.js';
import { FAKE_IMAGES, type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';

const [V1, V2, V3] = FAKE_IMAGES as [string, string, string];
const db = (image: string, greeting: string) =>
  portYaml('db', { volume: true, image, env: { GREETING: greeting } });
const web = (text: string) => portYaml('web', { host: 'web.test', env: { TEXT: text } });

describe('rollback on fake drivers', () => {
  let w: FakeWorld;
  const DB = 'hiy-unit-db';
  const VOLUME = 'hiy-unit-db-data';
  const data = () => w.podman.readVolumeFile(VOLUME, 'file')?.toString();
  const write = (text: string) => w.podman.writeVolumeFile(VOLUME, 'file', text);
  const running = async (name: string) => {
    const c = (await w.podman.listContainers({})).find((x) => x.name === name);
    return c && { image: c.image, state: c.state, env: w.podman.containerEnv(name) };
  };
  const releases = () => new ReleaseStore(w.dataDir).list('port/db');
  const applyOnce = () =>
    withApplyLock(w.engine, async () =>
      applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true })),
    );

  before(async () => {
    w = await fakeEngine({ files: { 'db.yaml': db(V1, 'v1'), 'web.yaml': web('w1') } });
    assert.equal((await applyOnce()).ok, true);
    write('one');
    await w.commit({ 'db.yaml': db(V2, 'v2') });
    assert.equal((await applyOnce()).ok, true);
    write('two');
    assert.equal((await running(DB))?.image, V2);
  });
  after(() => w.cleanup());

  it('goes back to the previous release (image and config), keeps the current data, and pins it', async () => {
    const out = await rollback(w.engine, { name: 'db', withData: false });
    assert.equal(out.result.ok, true, JSON.stringify(out.result.results));
    assert.deepEqual([out.resource, out.from, out.to, out.pinned], ['port/db', 2, 1, true]);
    const db = await running(DB);
    assert.equal(db?.image, V1);
    assert.equal(db?.state, 'running');
    assert.equal(db?.env?.GREETING, 'v1');
    assert.equal(data(), 'two', 'data is not touched without withData');
    const last = (await releases()).at(-1);
    assert.deepEqual([last?.number, last?.cause, last?.rolledBackTo], [3, 'rollback', 1]);
    assert.equal(last?.snapshots.length, 1, 'the current data was snapshotted before the rollback');
    const events = await new EventLog(w.dataDir).read();
    assert.equal(events.at(-1)?.type, 'rollback.finished');
    assert.equal(events.at(-1)?.resource, 'port/db');
  });

  it('the pin is stored and shown, and applies leave the resource on its release', async () => {
    const pins = await new PinStore(w.dataDir).read();
    assert.deepEqual(Object.keys(pins), ['port/db']);
    assert.equal(pins['port/db']?.release, 1);
    const view = await computeStatusView(w.engine);
    const rec = view.resources.find((r) => r.id === 'port/db');
    assert.equal(rec?.pinned?.release, 1);
    assert.equal(rec?.pending, false);
    const { plan } = await computePlan(w.engine);
    assert.deepEqual(plan.actions, []);
    assert.deepEqual(
      plan.pins?.map((p) => [p.resource, p.release, p.state]),
      [['port/db', 1, 'pinned']],
    );
    assert.equal((await applyOnce()).ok, true);
    assert.equal((await running(DB))?.image, V1);
  });

  it('unpin lets the state repo decide again', async () => {
    const removed = await unpin(w.engine, 'db');
    assert.equal(removed?.resource, 'port/db');
    assert.deepEqual(await new PinStore(w.dataDir).read(), {});
    assert.equal(await unpin(w.engine, 'db'), undefined, 'nothing left to unpin');
    const { plan } = await computePlan(w.engine);
    assert.deepEqual(
      plan.actions.map((a) => [a.kind, a.resource]),
      [['container.replace', 'port/db']],
    );
    assert.equal((await applyOnce()).ok, true);
    assert.equal((await running(DB))?.image, V2);
    assert.equal(data(), 'two');
  });

  it('withData with a damaged snapshot is refused before anything stops', async () => {
    const snapshotOf2 = (await releases()).find((r) => r.number === 2)!.snapshots[0]!;
    const archive = join(w.dataDir, 'snapshots', VOLUME, snapshotOf2, 'archive.tar');
    const good = await readFile(archive);
    await writeFile(archive, Buffer.concat([good, Buffer.from('x')]));
    const before = (await releases()).length;
    try {
      await assert.rejects(rollback(w.engine, { name: 'db', to: 1, withData: true }), (err: Error) => {
        assert.ok(err instanceof RollbackError);
        assert.match(
          err.message,
          /cannot be restored: snapshot .* failed verification: .*nothing was changed/,
        );
        return true;
      });
      assert.equal((await running(DB))?.state, 'running', 'the current version still runs');
      assert.equal(data(), 'two');
      assert.equal((await releases()).length, before, 'no release recorded');
    } finally {
      await writeFile(archive, good);
    }
  });

  it('withData restores the data of the release it goes back to, and can itself be undone', async () => {
    // Releases: 1 v1, 2 v2, 3 rollback to 1, 4 v2 again. Back to 1 with the data release 2's upgrade saved.
    write('three');
    const out = await rollback(w.engine, { name: 'db', to: 1, withData: true });
    assert.equal(out.result.ok, true, JSON.stringify(out.result.results));
    assert.equal((await running(DB))?.image, V1);
    assert.equal(data(), 'one', 'the data v1 had before its upgrade');
    const last = (await releases()).at(-1);
    assert.equal(last?.number, 5);
    assert.equal(last?.restoredSnapshots?.length, 1);
    // Undo: back to release 4 with the data the rollback snapshotted first.
    const undo = await rollback(w.engine, { name: 'port/db', to: 4, withData: true });
    assert.equal(undo.result.ok, true, JSON.stringify(undo.result.results));
    assert.equal((await running(DB))?.image, V2);
    assert.equal(data(), 'three');
  });

  it('a change of the resource in the state repo lifts the pin', async () => {
    assert.equal((await new PinStore(w.dataDir).read())['port/db']?.release, 4);
    await w.commit({ 'db.yaml': db(V3, 'v3') });
    const { plan } = await computePlan(w.engine);
    assert.deepEqual(
      plan.pins?.map((p) => [p.resource, p.state]),
      [['port/db', 'lifted']],
    );
    assert.equal((await applyOnce()).ok, true);
    assert.equal((await running(DB))?.image, V3);
    assert.equal((await running(DB))?.env?.GREETING, 'v3');
    assert.equal(data(), 'three');
    assert.deepEqual(await new PinStore(w.dataDir).read(), {});
    const view = await computeStatusView(w.engine);
    assert.equal(view.resources.find((r) => r.id === 'port/db')?.pinned, undefined);
  });

  it('a rollback changes only its resource: other pending changes stay pending', async () => {
    await w.commit({ 'web.yaml': web('w2') });
    assert.equal((await applyOnce()).ok, true);
    await w.commit({ 'db.yaml': db(V3, 'v4') });
    const out = await rollback(w.engine, { name: 'web', withData: false });
    assert.equal(out.result.ok, true, JSON.stringify(out.result.results));
    assert.equal((await running('hiy-unit-web'))?.env?.TEXT, 'w1');
    assert.equal((await running(DB))?.env?.GREETING, 'v3', 'db keeps its pending change pending');
    const { plan } = await computePlan(w.engine);
    assert.deepEqual([...new Set(plan.actions.map((a) => a.resource))], ['port/db']);
  });

  it('refuses what it cannot do, and changes nothing', async () => {
    const before = await w.podman.listContainers({});
    const releasesBefore = await releases();
    const cases: [Parameters<typeof rollback>[1], RegExp][] = [
      [{ name: 'nope', withData: false }, /no App or Port named nope/],
      [{ name: 'db', to: 99, withData: false }, /has no release 99/],
      [{ name: 'web', to: 1, withData: true }, /has no volumes/],
    ];
    for (const [req, message] of cases) {
      const err = await rollback(w.engine, req).catch((e: unknown) => e);
      assert.ok(err instanceof RollbackError, `${req.name}: ${String(err)}`);
      assert.match(err.message, message);
    }
    assert.deepEqual(await w.podman.listContainers({}), before);
    assert.deepEqual(await releases(), releasesBefore);
  });
});
