// Snapshots of real Podman volumes: take, verify, restore, and the failures that must leave nothing behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PodmanCli } from '../../src/drivers/podman/runner.js';
import { LABEL_RESOURCE, ownershipLabels } from '../../src/model/labels.js';
import {
  discardIncomplete,
  listSnapshots,
  pruneSnapshots,
  restoreSnapshot,
  type SnapshotDeps,
  SnapshotError,
  takeSnapshot,
  verifySnapshot,
} from '../../src/snapshots/snapshot.js';
import { cleanupInstance, testInstance } from '../support/podman.js';

/** Real Podman, except that the export writes a damaged archive (the issue allows a double for this step). */
class DamagingExport extends PodmanCli {
  constructor(private readonly damage: 'truncate' | 'empty-tar') {
    super();
  }
  override async exportVolume(name: string, file: string): Promise<void> {
    if (this.damage === 'empty-tar') return writeFile(file, Buffer.alloc(1024)); // a valid tar with no entries
    await super.exportVolume(name, `${file}.whole`);
    await writeFile(file, (await readFile(`${file}.whole`)).subarray(0, 1536));
    await rm(`${file}.whole`);
  }
}

describe('volume snapshots (real podman)', () => {
  const instance = testInstance('s');
  const labels = { ...ownershipLabels(instance), [LABEL_RESOURCE]: 'port/snap' };
  const podman = new PodmanCli();
  let dataDir: string;
  let deps: SnapshotDeps;
  let clock = Date.parse('2026-11-22T02:15:00Z');
  const now = () => {
    clock += 1000;
    return new Date(clock);
  };

  const volume = async (suffix: string): Promise<{ name: string; mountpoint: string }> => {
    const name = `hiy-${instance}-${suffix}`;
    await podman.createVolume(name, labels);
    const info = (await podman.listVolumes(labels)).find((v) => v.name === name);
    assert.ok(info);
    return { name, mountpoint: info.mountpoint };
  };

  let source: { name: string; mountpoint: string };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hiy-snapshots-'));
    deps = { podman, dataDir, now };
    source = await volume('data');
    await mkdir(join(source.mountpoint, 'sub/deeper'), { recursive: true });
    await writeFile(join(source.mountpoint, 'a.txt'), 'alpha');
    await writeFile(join(source.mountpoint, '.hidden'), 'dot');
    await writeFile(join(source.mountpoint, 'sub/deeper/b.bin'), Buffer.alloc(70_000, 7));
    await symlink('a.txt', join(source.mountpoint, 'link'));
  });

  after(async () => {
    await cleanupInstance(instance);
    await rm(dataDir, { recursive: true, force: true });
  });

  const snap = (d: SnapshotDeps = deps) =>
    takeSnapshot(d, {
      volume: source.name,
      mountpoint: source.mountpoint,
      resource: 'port/snap',
      reason: 'upgrade',
      stateCommit: 'abc123',
      imageBefore: 'localhost/hiy/snap:old',
      imageAfter: 'localhost/hiy/snap:new',
    });

  test('a snapshot records a verified archive of the volume', async () => {
    const m = await snap();
    assert.match(m.id, /^20261122T0215\d\dZ-[0-9a-f]{6}$/);
    assert.equal(m.volume, source.name);
    assert.equal(m.resource, 'port/snap');
    assert.equal(m.reason, 'upgrade');
    assert.equal(m.stateCommit, 'abc123');
    assert.equal(m.imageBefore, 'localhost/hiy/snap:old');
    assert.equal(m.imageAfter, 'localhost/hiy/snap:new');
    assert.equal(m.files, 3, 'a.txt, .hidden, sub/deeper/b.bin; the symlink and dirs are not regular files');
    const archive = await readFile(join(dataDir, 'snapshots', source.name, m.id, 'archive.tar'));
    assert.equal(m.bytes, archive.length);
    assert.equal(m.sha256, createHash('sha256').update(archive).digest('hex'));
    assert.equal(m.createdAt.slice(0, 16), '2026-11-22T02:15');
    const stored = JSON.parse(
      await readFile(join(dataDir, 'snapshots', source.name, m.id, 'manifest.json'), 'utf8'),
    );
    assert.deepEqual(stored, m);
    await verifySnapshot(deps, m);
    assert.deepEqual(
      (await listSnapshots(deps)).map((s) => s.id),
      [m.id],
    );
  });

  test('restore reproduces the content, into a new volume or over a non-empty one', async () => {
    const [m] = await listSnapshots(deps, source.name);
    assert.ok(m);
    const fresh = await volume('restored');
    const r = await restoreSnapshot(deps, m, fresh.name);
    assert.deepEqual(r, { volume: fresh.name, files: 3 });
    assert.equal(await readFile(join(fresh.mountpoint, 'a.txt'), 'utf8'), 'alpha');
    assert.equal(await readFile(join(fresh.mountpoint, '.hidden'), 'utf8'), 'dot');
    assert.deepEqual(await readFile(join(fresh.mountpoint, 'sub/deeper/b.bin')), Buffer.alloc(70_000, 7));
    assert.equal(await readlink(join(fresh.mountpoint, 'link')), 'a.txt');

    // Over a volume with other content: that content is snapshotted first, then gone.
    await writeFile(join(fresh.mountpoint, 'stray.txt'), 'not in the snapshot');
    const again = await restoreSnapshot(deps, m, fresh.name);
    assert.equal(again.files, 3);
    assert.equal(again.preRestore?.reason, 'pre-restore');
    assert.equal(again.preRestore?.files, 4);
    assert.deepEqual((await readdir(fresh.mountpoint)).sort(), ['.hidden', 'a.txt', 'link', 'sub']);
    await rm(join(dataDir, 'snapshots', fresh.name), { recursive: true });
  });

  test('restore into a volume that does not exist fails', async () => {
    const [m] = await listSnapshots(deps, source.name);
    assert.ok(m);
    await assert.rejects(restoreSnapshot(deps, m, `hiy-${instance}-absent`), (err: unknown) => {
      assert.ok(err instanceof SnapshotError);
      assert.equal(err.code, 'SNAPSHOT_FAILED');
      assert.match(err.message, /does not exist/);
      return true;
    });
  });

  test('a corrupted archive fails verifySnapshot', async () => {
    const m = await snap();
    const file = join(dataDir, 'snapshots', source.name, m.id, 'archive.tar');
    const bytes = await readFile(file);
    const data = bytes.indexOf(Buffer.alloc(512, 7)) + 100; // inside b.bin's data: only the checksum can tell
    bytes[data] = (bytes[data] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    await assert.rejects(verifySnapshot(deps, m), /failed verification: archive checksum/);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff; // the first header
    await writeFile(file, bytes);
    await assert.rejects(verifySnapshot(deps, m), /failed verification: archive has a corrupt header/);
    await rm(join(dataDir, 'snapshots', source.name, m.id), { recursive: true });
  });

  for (const [damage, why] of [
    ['truncate', /failed verification: archive is truncated/],
    ['empty-tar', /^snapshot of hiy-\S+-data failed verification: archive has 0 files, the volume has 3$/],
  ] as const) {
    test(`a damaged export (${damage}) throws SnapshotError and leaves no directory`, async () => {
      const before = await listSnapshots(deps, source.name);
      const err = await snap({ ...deps, podman: new DamagingExport(damage) }).catch((e: unknown) => e);
      assert.ok(err instanceof SnapshotError, String(err));
      assert.match(err.message, why);
      assert.equal(err.data.volume, source.name);
      const dirs = await readdir(join(dataDir, 'snapshots', source.name));
      assert.deepEqual(dirs.sort(), before.map((m) => m.id).sort());
    });
  }

  test('a failed export (no such volume) throws SnapshotError with the cause', async () => {
    const err = await takeSnapshot(deps, {
      volume: `hiy-${instance}-absent`,
      mountpoint: '/nonexistent',
      resource: 'port/snap',
      reason: 'manual',
    }).catch((e: unknown) => e);
    assert.ok(err instanceof SnapshotError);
    assert.match(err.message, /^snapshot of hiy-\S+-absent failed: podman volume export failed/);
    assert.ok(err.cause);
    assert.deepEqual(await readdir(join(dataDir, 'snapshots', `hiy-${instance}-absent`)), []);
  });

  test('discardIncomplete removes directories without a manifest', async () => {
    const complete = await listSnapshots(deps);
    const crashed = join(dataDir, 'snapshots', source.name, '20261122T000000Z-abcdef');
    await mkdir(crashed, { recursive: true });
    await writeFile(join(crashed, 'archive.tar.partial'), 'half');
    assert.deepEqual(await discardIncomplete(deps), [crashed]);
    assert.deepEqual(await listSnapshots(deps), complete);
    assert.deepEqual(await discardIncomplete(deps), []);
  });

  test('prune keeps the newest 5 per volume', async () => {
    const existing = (await listSnapshots(deps, source.name)).length;
    const taken = [];
    for (let i = existing; i < 7; i++) taken.push(await snap());
    const all = await listSnapshots(deps, source.name);
    assert.equal(all.length, 7);
    assert.ok(
      all.every((m, i) => i === 0 || (all[i - 1]?.id ?? '') > m.id),
      'newest first',
    );
    const removed = await pruneSnapshots(deps, source.name);
    assert.deepEqual(
      removed.map((m) => m.id),
      all.slice(5).map((m) => m.id),
    );
    assert.deepEqual(
      (await listSnapshots(deps, source.name)).map((m) => m.id),
      all.slice(0, 5).map((m) => m.id),
    );
    assert.equal((await readdir(join(dataDir, 'snapshots', source.name))).length, 5);
  });
});
