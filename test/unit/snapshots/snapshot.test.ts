// Snapshot verification on the fake Podman: the archive is counted as the host counts the volume, damage is
// caught before anything is recorded, and a restore leaves exactly the archive's files.
import assert from 'node:assert/strict';
import { copyFile, link, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import { LABEL_RESOURCE, ownershipLabels } from '../../../src/model/labels.js';
import {
  adoptArchive,
  discardIncomplete,
  listSnapshots,
  pruneSnapshots,
  restoreSnapshot,
  type SnapshotDeps,
  SnapshotError,
  type SnapshotManifest,
  snapshotArchivePath,
  takeSnapshot,
  verifySnapshot,
} from '../../../src/snapshots/snapshot.js';

describe('snapshots on the fake Podman', () => {
  let root: string;
  let podman: FakePodman;
  let deps: SnapshotDeps;
  let clock = Date.parse('2026-11-22T02:15:00Z');
  /** The first snapshot of `src`, intact. */
  let first: SnapshotManifest;
  const labels = { ...ownershipLabels('unit'), [LABEL_RESOURCE]: 'port/snap' };
  const take = (volume: string) =>
    takeSnapshot(deps, {
      volume,
      mountpoint: podman.mountpoint(volume),
      resource: 'port/snap',
      reason: 'manual',
    });
  const dirsOf = async (volume: string) =>
    readdir(join(deps.dataDir, 'snapshots', volume)).catch(() => [] as string[]);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hiy-unit-snapshots-'));
    podman = new FakePodman({ volumesRoot: join(root, 'volumes') });
    deps = {
      podman,
      dataDir: join(root, 'data'),
      now: () => {
        clock += 1000;
        return new Date(clock);
      },
    };
    await podman.createVolume('src', labels);
    const m = podman.mountpoint('src');
    podman.writeVolumeFile('src', 'a.txt', 'alpha');
    podman.writeVolumeFile(
      'src',
      `${'long-directory-name/'.repeat(8)}b.txt`,
      'a path longer than ustar holds',
    );
    await link(join(m, 'a.txt'), join(m, 'hard.txt'));
    await symlink('a.txt', join(m, 'soft.txt'));
    await mkdir(join(m, 'empty'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('counts what the host counts: files and hard links, not symlinks or directories; long names pass', async () => {
    const m = await take('src');
    first = m;
    assert.deepEqual([m.volume, m.resource, m.reason, m.files], ['src', 'port/snap', 'manual', 3]);
    assert.match(m.sha256, /^[0-9a-f]{64}$/);
    await verifySnapshot(deps, m);
    assert.deepEqual(
      (await listSnapshots(deps, 'src')).map((x) => x.id),
      [m.id],
    );
  });

  const damages: [string, (file: string) => Promise<void>, RegExp][] = [
    [
      'an empty archive',
      (f) => writeFile(f, Buffer.alloc(1024)),
      /failed verification: archive has 0 files, the volume has 3/,
    ],
    [
      'a truncated archive',
      async (f) => writeFile(f, (await readFile(f)).subarray(0, 1536)),
      /failed verification: archive is truncated/,
    ],
    [
      'a corrupt header',
      async (f) => {
        const b = await readFile(f);
        b[0] = b[0]! ^ 0xff;
        await writeFile(f, b);
      },
      /failed verification: archive has a corrupt header/,
    ],
  ];
  for (const [what, damage, message] of damages) {
    it(`${what} from the export throws SnapshotError and records nothing`, async () => {
      const before = await dirsOf('src');
      const exportVolume = podman.exportVolume.bind(podman);
      // The damaged archive is what the export writes (the scan follows the file while it is written).
      podman.exportVolume = async (name, file) => {
        await exportVolume(name, `${file}.whole`);
        await damage(`${file}.whole`);
        await writeFile(file, await readFile(`${file}.whole`));
        await rm(`${file}.whole`);
      };
      const err = await take('src')
        .catch((e: unknown) => e)
        .finally(() => {
          podman.exportVolume = exportVolume;
        });
      assert.ok(err instanceof SnapshotError, String(err));
      assert.match(err.message, message);
      assert.deepEqual(await dirsOf('src'), before, 'no directory left behind');
    });
  }

  it('a stored archive changed afterwards fails verifySnapshot', async () => {
    const m = await take('src');
    const archive = join(deps.dataDir, 'snapshots', 'src', m.id, 'archive.tar');
    const b = await readFile(archive);
    b[b.length - 1] = 1; // in the zero blocks after the end-of-archive marker: only the checksum can tell
    await writeFile(archive, b);
    await assert.rejects(verifySnapshot(deps, m), /failed verification: archive checksum .* does not match/);
    await rm(join(deps.dataDir, 'snapshots', 'src', m.id), { recursive: true });
  });

  it('a failed export (no such volume) throws SnapshotError with its cause and leaves no directory', async () => {
    const err = await take('absent').catch((e: unknown) => e);
    assert.ok(err instanceof SnapshotError);
    assert.match(err.message, /snapshot of absent failed: podman volume export failed/);
    assert.ok(err.cause);
    assert.deepEqual(await dirsOf('absent'), []);
  });

  it('restore over a non-empty volume saves it first, then leaves exactly the archive’s files', async () => {
    const m = first;
    await podman.createVolume('dst', labels);
    podman.writeVolumeFile('dst', 'a.txt', 'old');
    podman.writeVolumeFile('dst', 'extra.txt', 'not in the snapshot');
    const out = await restoreSnapshot(deps, m, 'dst');
    assert.equal(out.files, 3);
    assert.equal(out.preRestore?.reason, 'pre-restore');
    assert.equal(out.preRestore?.files, 2);
    assert.deepEqual(podman.listVolumeFiles('dst'), [
      'a.txt',
      'hard.txt',
      `${'long-directory-name/'.repeat(8)}b.txt`,
    ]);
    assert.equal(podman.readVolumeFile('dst', 'a.txt')?.toString(), 'alpha');
    await assert.rejects(restoreSnapshot(deps, m, 'nowhere'), /volume nowhere does not exist/);
  });

  it('prune keeps the newest per volume; discardIncomplete removes what has no manifest', async () => {
    for (let i = 0; i < 3; i++) await take('src');
    const all = await listSnapshots(deps, 'src');
    const removed = await pruneSnapshots(deps, 'src', 2);
    assert.deepEqual(
      removed.map((m) => m.id),
      all.slice(2).map((m) => m.id),
    );
    assert.deepEqual(
      (await listSnapshots(deps, 'src')).map((m) => m.id),
      all.slice(0, 2).map((m) => m.id),
    );
    const partial = join(deps.dataDir, 'snapshots', 'src', '20261122T000000Z-abcdef');
    await mkdir(partial);
    await writeFile(join(partial, 'archive.tar.partial'), 'cut short');
    assert.deepEqual(await discardIncomplete(deps), [partial]);
    assert.equal((await dirsOf('src')).length, 2);
  });
  it('adoptArchive makes an archive brought back from elsewhere a snapshot, verified against its own manifest', async () => {
    const m = await take('src');
    const copy = join(root, 'brought-back.tar');
    await copyFile(snapshotArchivePath(deps, m), copy);
    const adopted = await adoptArchive(deps, copy, m, 'from-backup');
    assert.notEqual(adopted.id, m.id);
    assert.deepEqual(
      [adopted.volume, adopted.reason, adopted.files, adopted.sha256],
      ['src', 'from-backup', m.files, m.sha256],
    );
    await verifySnapshot(deps, adopted);
    assert.ok((await listSnapshots(deps, 'src')).some((s) => s.id === adopted.id));
    // A damaged archive is adopted (nothing reads it yet) but never passes verification.
    const damaged = join(root, 'damaged.tar');
    const bytes = await readFile(snapshotArchivePath(deps, m));
    bytes[600] = bytes[600]! ^ 0xff;
    await writeFile(damaged, bytes);
    const bad = await adoptArchive(deps, damaged, m, 'from-backup');
    await assert.rejects(verifySnapshot(deps, bad), /failed verification/);
  });
});
