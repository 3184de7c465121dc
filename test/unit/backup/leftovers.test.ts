// Leftovers of interrupted backup runs: removed once the process that made them is gone, never a live one's.
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import {
  cleanLeftovers,
  describeLeftovers,
  LABEL_SCRATCH_PID,
  markAdopted,
  scratchLabels,
  workDir,
} from '../../../src/backup/leftovers.js';
import { LABEL_SCRATCH } from '../../../src/backup/stage.js';
import { adoptArchive, listSnapshots, type SnapshotManifest } from '../../../src/snapshots/snapshot.js';
import { fakeEngine } from '../../support/fakeEngine.js';

/** The pid of a process that has exited (its leftovers are a crash's). */
async function deadPid(): Promise<number> {
  const child = execa('true');
  await child;
  return child.pid!;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

test('a dead process: its working directories, restored local snapshot and scratch volumes are removed', async () => {
  const w = await fakeEngine();
  try {
    const { engine, dataDir, podman } = w;
    const dead = await deadPid();
    const root = join(dataDir, 'backup');
    // A restore killed after its backup became a local snapshot (the note in its working directory says which).
    const landing = join(root, `restore-${dead}-a1B2c3`);
    await mkdir(landing, { recursive: true });
    await writeFile(join(landing, 'x'), 'half');
    await execa('tar', ['-cf', join(landing, 'archive.tar'), '-C', landing, 'x']);
    const from: SnapshotManifest = {
      id: '20261201T000000Z-abcdef',
      volume: 'hiy-unit-db-data',
      resource: 'port/db',
      reason: 'backup',
      files: 1,
      bytes: 10240,
      sha256: '0'.repeat(64),
      createdAt: '2026-12-01T00:00:00.000Z',
    };
    const deps = { podman, dataDir };
    const adopted = await adoptArchive(deps, join(landing, 'archive.tar'), from, 'from-backup');
    await markAdopted(landing, adopted.volume, adopted.id);
    // A manual snapshot of the same volume is data: never touched.
    const manual = await adoptArchive(deps, join(landing, 'x'), from, 'manual');
    const repoDir = join(root, `repo-${dead}-Zz9yX8`);
    await mkdir(repoDir, { recursive: true });
    await podman.createVolume('hiy-unit-scratch-dead', {
      [LABEL_SCRATCH]: 'unit',
      [LABEL_SCRATCH_PID]: String(dead),
    });

    // What this (live) process is doing is left alone.
    const mine = await workDir(dataDir, 'restore');
    await podman.createVolume('hiy-unit-scratch-mine', scratchLabels('unit'));
    // Another instance's scratch volume is not ours to remove.
    await podman.createVolume('hiy-other-scratch-x', {
      [LABEL_SCRATCH]: 'other',
      [LABEL_SCRATCH_PID]: String(dead),
    });

    const found = await cleanLeftovers(engine);
    assert.deepEqual(found.dirs.sort(), [landing, repoDir].sort());
    assert.deepEqual(found.snapshots, [`${adopted.volume}/${adopted.id}`]);
    assert.deepEqual(found.volumes, ['hiy-unit-scratch-dead']);
    assert.match(
      describeLeftovers(found),
      /2 working directories, 1 restored local snapshot\(s\), 1 scratch volume/,
    );
    assert.deepEqual(
      (await listSnapshots(deps)).map((m) => m.id),
      [manual.id],
      'the manual snapshot is kept',
    );
    assert.ok(await exists(mine), "a live process's working directory is kept");
    const volumes = (await podman.listVolumes({})).map((v) => v.name).sort();
    assert.deepEqual(volumes, ['hiy-other-scratch-x', 'hiy-unit-scratch-mine']);

    // Nothing is left for the next run.
    const again = await cleanLeftovers(engine);
    assert.equal(describeLeftovers(again), '');
    assert.deepEqual(await readdir(root), [mine.split('/').at(-1)]);
  } finally {
    await w.cleanup();
  }
});

test('an unnamed working directory of an older HIY is removed only after an hour', async () => {
  const w = await fakeEngine();
  try {
    const root = join(w.dataDir, 'backup');
    const fresh = join(root, 'restore-Ab12Cd');
    const old = join(root, 'restore-Ef34Gh');
    await mkdir(fresh, { recursive: true });
    await mkdir(old, { recursive: true });
    const hoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(old, hoursAgo, hoursAgo);
    // Not HIY's naming: never touched.
    await mkdir(join(root, 'staging'), { recursive: true });
    const found = await cleanLeftovers(w.engine);
    assert.deepEqual(found.dirs, [old]);
    assert.deepEqual((await readdir(root)).sort(), ['restore-Ab12Cd', 'staging']);
  } finally {
    await w.cleanup();
  }
});
