// The data commands on the fake drivers: snapshot create/list/find/restore, volume views and removal.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createSnapshots,
  DataCommandError,
  findSnapshot,
  removeVolume,
  restoreFromSnapshot,
  snapshotsOf,
  volumeViews,
} from '../../../src/data/commands.js';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import { LABEL_INSTANCE, LABEL_RESOURCE } from '../../../src/model/labels.js';
import { Journal } from '../../../src/store/journal.js';
import { type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';

describe('data commands on fake drivers', () => {
  let w: FakeWorld;
  const DB = 'hiy-unit-db';
  const VOLUME = 'hiy-unit-db-data';
  const COPY = `${VOLUME}-inspect`;
  const file = (volume = VOLUME, path = 'file') => w.podman.readVolumeFile(volume, path)?.toString();
  const state = async (name: string) =>
    (await w.podman.listContainers({})).find((c) => c.name === name)?.state;
  const volumes = async () => (await w.podman.listVolumes({})).map((v) => v.name).sort();
  const applyOnce = () =>
    withApplyLock(w.engine, async () =>
      applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true })),
    );
  const refusal = async (p: Promise<unknown>, message: RegExp) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DataCommandError, String(err));
    assert.match(err.message, message);
  };

  before(async () => {
    w = await fakeEngine({
      files: {
        'db.yaml': portYaml('db', { volume: true }),
        'web.yaml': portYaml('web', { host: 'web.test' }),
      },
    });
    assert.equal((await applyOnce()).ok, true);
    w.podman.writeVolumeFile(VOLUME, 'file', 'first');
    w.podman.writeVolumeFile(VOLUME, 'd/y', 'x');
  });
  after(() => w.cleanup());

  it('snapshot create takes a verified snapshot of each volume at rest and the resource runs again', async () => {
    // What the box looked like while each volume was exported.
    const writerAtExport: (string | undefined)[] = [];
    const exportVolume = w.podman.exportVolume.bind(w.podman);
    w.podman.exportVolume = async (name, to) => {
      writerAtExport.push(await state(DB));
      return exportVolume(name, to);
    };
    const taken = await createSnapshots(w.engine, 'db').finally(() => {
      w.podman.exportVolume = exportVolume;
    });
    assert.deepEqual(writerAtExport, ['exited'], 'the writer was stopped while its volume was exported');
    assert.deepEqual(
      taken.map((m) => [m.volume, m.resource, m.reason, m.files]),
      [[VOLUME, 'port/db', 'manual', 2]],
    );
    assert.equal(await state(DB), 'running');
    assert.deepEqual(await new Journal(w.dataDir).open(), [], 'no step left open');
    const listed = await snapshotsOf(w.engine, 'db');
    assert.deepEqual(
      listed.map((m) => m.id),
      [taken[0]!.id],
    );
    assert.deepEqual(await snapshotsOf(w.engine, VOLUME), listed);
    assert.deepEqual(await snapshotsOf(w.engine, 'web'), []);
    await refusal(createSnapshots(w.engine, 'web'), /port\/web has no volumes to snapshot/);
    await refusal(createSnapshots(w.engine, 'nope'), /HIY manages no resource named nope/);
  });

  it('finds a snapshot by its exact id or VOLUME/ID, never by a prefix', async () => {
    const [snap] = await snapshotsOf(w.engine, 'db');
    assert.ok(snap);
    assert.equal((await findSnapshot(w.engine, snap.id)).id, snap.id);
    assert.equal((await findSnapshot(w.engine, `${VOLUME}/${snap.id}`)).id, snap.id);
    await refusal(
      findSnapshot(w.engine, snap.id.slice(0, 18)),
      /no snapshot .*hiy snapshot list shows the exact ids/,
    );
    await refusal(findSnapshot(w.engine, 'nope'), /no snapshot nope/);
    await refusal(findSnapshot(w.engine, `other-volume/${snap.id}`), /no snapshot/);
    // Asked on behalf of one resource: another resource's snapshot is not found, and not named.
    assert.equal((await findSnapshot(w.engine, snap.id, 'port/db')).id, snap.id);
    const err = await findSnapshot(w.engine, snap.id, 'port/web').catch((e: Error) => e);
    assert.ok(err instanceof DataCommandError);
    assert.equal(err.message, `no snapshot ${snap.id} of port/web; hiy snapshot list shows the exact ids`);
  });

  it('a restore on behalf of one resource refuses a snapshot of another resource before anything changes', async () => {
    const [snap] = await snapshotsOf(w.engine, 'db');
    w.podman.writeVolumeFile(VOLUME, 'file', 'current');
    const before = (await snapshotsOf(w.engine)).length;
    const stops: string[] = [];
    const stop = w.podman.stopContainer.bind(w.podman);
    w.podman.stopContainer = async (name, t) => {
      stops.push(name);
      return stop(name, t);
    };
    await refusal(
      restoreFromSnapshot(w.engine, snap!.id, undefined, undefined, 'port/web').finally(() => {
        w.podman.stopContainer = stop;
      }),
      new RegExp(`^no snapshot ${snap!.id} of port/web;`),
    );
    assert.equal(file(), 'current', 'the data was not replaced');
    assert.deepEqual(stops, [], 'nothing was stopped');
    assert.equal((await snapshotsOf(w.engine)).length, before, 'no pre-restore snapshot was taken');
    assert.deepEqual(await new Journal(w.dataDir).open(), []);
    w.podman.writeVolumeFile(VOLUME, 'file', 'first');
  });

  it('restore puts the data back, restarts the writer, and snapshots what it replaces', async () => {
    w.podman.writeVolumeFile(VOLUME, 'file', 'second');
    await rm(join(w.podman.mountpoint(VOLUME), 'd'), { recursive: true });
    const [snap] = await snapshotsOf(w.engine, 'db');
    const out = await restoreFromSnapshot(w.engine, snap!.id, undefined);
    assert.deepEqual([out.volume, out.files, out.created], [VOLUME, 2, false]);
    assert.deepEqual(out.restarted, [DB]);
    assert.equal(await state(DB), 'running');
    assert.equal(file(), 'first');
    assert.equal(file(VOLUME, 'd/y'), 'x');
    assert.equal(out.preRestore?.reason, 'pre-restore');
    // Two snapshots now: a prefix both share names neither.
    await refusal(findSnapshot(w.engine, snap!.id.slice(0, 2)), /no snapshot/);
    // The restore can be undone: the pre-restore snapshot holds "second" and no d/y.
    await restoreFromSnapshot(w.engine, `${VOLUME}/${out.preRestore!.id}`, undefined);
    assert.equal(file(), 'second');
    assert.deepEqual(w.podman.listVolumeFiles(VOLUME), ['file']);
  });

  it('restore into another volume creates a plain volume to inspect, leaving the original alone', async () => {
    const snap = (await snapshotsOf(w.engine, 'db')).find((m) => m.reason === 'manual')!;
    const out = await restoreFromSnapshot(w.engine, snap.id, COPY);
    assert.deepEqual([out.volume, out.created, out.restarted], [COPY, true, []]);
    assert.equal(file(COPY), 'first');
    assert.equal(file(), 'second', 'the original volume is untouched');
    const copy = (await w.podman.listVolumes({})).find((v) => v.name === COPY);
    assert.equal(copy?.labels[LABEL_INSTANCE], undefined, 'not owned by HIY');
    // A volume HIY does not own is never overwritten.
    await refusal(
      restoreFromSnapshot(w.engine, snap.id, COPY),
      /is not a volume of this HIY instance; restore into a new volume name instead/,
    );
    assert.equal(file(COPY), 'first');
    await w.podman.removeVolume(COPY);
  });

  it('volume views list the instance volumes, their users and snapshots', async () => {
    const { volumes: views, stateRepoValid } = await volumeViews(w.engine);
    assert.equal(stateRepoValid, true);
    const snaps = await snapshotsOf(w.engine, VOLUME);
    assert.deepEqual(views, [
      {
        name: VOLUME,
        resource: 'port/db',
        declared: true,
        usedBy: [DB],
        snapshots: snaps.length,
        latestSnapshot: snaps[0]!.id,
      },
    ]);
  });

  it('volume rm refuses a declared or used volume and a wrong confirmation, and deletes nothing', async () => {
    await refusal(removeVolume(w.engine, VOLUME, VOLUME), /port\/db in the state repo still declares/);
    // The resource still in the state repo without declaring the volume: it is the resource that is in the way.
    await w.commit({ 'db.yaml': portYaml('db') });
    await refusal(
      removeVolume(w.engine, VOLUME, VOLUME),
      /port\/db, whose volume hiy-unit-db-data is, still exists in the state repo; remove it/,
    );
    await w.commit({ 'db.yaml': null });
    await refusal(
      removeVolume(w.engine, VOLUME, VOLUME),
      new RegExp(`${DB} still exists; apply the removal`),
    );
    assert.equal((await applyOnce()).ok, true);
    const [view] = (await volumeViews(w.engine)).volumes;
    assert.deepEqual([view?.name, view?.declared, view?.usedBy], [VOLUME, false, []], 'retained');
    for (const confirm of [undefined, 'yes', `${VOLUME}x`]) {
      await refusal(removeVolume(w.engine, VOLUME, confirm), /confirm with --confirm/);
    }
    await refusal(removeVolume(w.engine, 'hiy-unit-nope', 'hiy-unit-nope'), /not a volume of this HIY/);
    assert.deepEqual(await volumes(), [VOLUME]);
    assert.equal(file(), 'second');
  });

  it('volume rm takes a verified final snapshot first; restoring it brings the volume back', async () => {
    const final = await removeVolume(w.engine, VOLUME, VOLUME);
    assert.deepEqual(
      [final.volume, final.resource, final.reason, final.files],
      [VOLUME, 'port/db', 'pre-delete', 1],
    );
    assert.deepEqual(await volumes(), []);
    assert.ok(
      (await snapshotsOf(w.engine, VOLUME)).some((m) => m.id === final.id),
      'the snapshot stays',
    );
    const back = await restoreFromSnapshot(w.engine, `${VOLUME}/${final.id}`, undefined);
    assert.equal(back.created, true);
    const volume = (await w.podman.listVolumes({})).find((v) => v.name === VOLUME);
    assert.equal(volume?.labels[LABEL_RESOURCE], 'port/db', 'owned by HIY again');
    // Declared again, the resource finds its data.
    await w.commit({ 'db.yaml': portYaml('db', { volume: true }) });
    assert.equal((await applyOnce()).ok, true);
    assert.equal(await state(DB), 'running');
    assert.equal(file(), 'second');
  });
});

describe('data commands wait for the writer to be healthy again', () => {
  it('snapshot create and restore return once the health check passes; a writer that fails it is an error', async () => {
    let refusalsLeft = 0;
    const yaml = `${portYaml('db', { volume: true })}  healthcheck:\n    tcp: { port: 5432 }\n    interval: 100ms\n    timeout: 1s\n`;
    const w = await fakeEngine({
      files: { 'db.yaml': yaml },
      prober: {
        httpGet: async () => 200,
        tcpConnect: async () => {
          if (refusalsLeft-- > 0) throw new Error('connection refused');
        },
      },
    });
    try {
      const applied = await withApplyLock(w.engine, async () =>
        applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true })),
      );
      assert.equal(applied.ok, true);
      refusalsLeft = 3; // a database that takes a moment to accept connections after a start
      const [taken] = await createSnapshots(w.engine, 'db');
      assert.equal(refusalsLeft, -1, 'probed until it passed');
      refusalsLeft = 2;
      await restoreFromSnapshot(w.engine, taken!.id, undefined);
      assert.equal(refusalsLeft, -1, 'probed until it passed');

      refusalsLeft = 1_000_000;
      const before = (await snapshotsOf(w.engine, 'db')).length;
      const err = await createSnapshots(w.engine, 'db').catch((e: unknown) => e);
      assert.ok(err instanceof DataCommandError, String(err));
      assert.match(
        err.message,
        /hiy-unit-db was started again but is not healthy: hiy-unit-db did not become healthy within 1s: connection refused/,
      );
      assert.equal((await snapshotsOf(w.engine, 'db')).length, before + 1, 'the snapshot was taken and kept');
    } finally {
      await w.cleanup();
    }
  });
});
