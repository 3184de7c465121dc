// Data safety on real Podman volumes: verified snapshots before stateful upgrades, automatic rollback with data.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { PodmanCli } from '../../src/drivers/podman/runner.js';
import type { PodmanDriver } from '../../src/drivers/podman/types.js';
import { listSnapshots } from '../../src/snapshots/snapshot.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';

/** A stateful Port whose start script can also scribble over its data (to prove a rollback restores it). */
function statefulPort(greeting: string, opts: { scribble?: boolean; healthPath?: string } = {}): string {
  let yaml = webPort('db', 'db.test', { volume: true, env: { GREETING: greeting } });
  if (opts.scribble)
    yaml = yaml.replace('mkdir -p /www &&', 'echo scribbled > /data/file && mkdir -p /www &&');
  if (opts.healthPath)
    yaml = yaml
      .replace('http: { path: /, port: 8080 }', `http: { path: ${opts.healthPath}, port: 8080 }`)
      .replace('timeout: 20s', 'timeout: 2s');
  return yaml;
}

describe('data safety of stateful upgrades', () => {
  let h: Harness;
  let container: string;
  const cat = async () => (await execa('podman', ['exec', container, 'cat', '/data/file'])).stdout.trim();

  before(async () => {
    h = await startHarness({ 'db.yaml': statefulPort('v1') });
    container = `hiy-${h.instance}-db`;
    assert.equal((await h.hiy(['apply'])).code, 0);
    await execa('podman', [
      'exec',
      container,
      'sh',
      '-c',
      'mkdir -p /data/sub && echo precious > /data/file && echo x > /data/sub/y',
    ]);
  });

  after(() => h.cleanup());

  it('takes and verifies a snapshot before the upgrade, keeps the data, records it in the release', async () => {
    await h.commit({ 'db.yaml': statefulPort('v2') });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /snapshot of hiy-\S+-db-data/);
    assert.equal(await cat(), 'precious');
    assert.equal((await h.get('db.test')).body.trim(), 'db:v2');
    const snaps = await listSnapshots(
      { podman: new PodmanCli(), dataDir: h.dataDir },
      `hiy-${h.instance}-db-data`,
    );
    assert.equal(snaps.length, 1);
    assert.equal(snaps[0]!.files, 2);
    assert.equal(snaps[0]!.reason, 'upgrade');
    const releases = JSON.parse((await h.hiy(['releases', 'db', '--json'])).out).releases;
    assert.deepEqual(releases[0].snapshots, [snaps[0]!.id]);
  });

  it('a new version that never becomes healthy is rolled back with its data', async () => {
    await h.commit({ 'db.yaml': statefulPort('v3', { scribble: true, healthPath: '/missing' }) });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 1);
    assert.match(
      r.out + r.err,
      /rolled back to the previous container and the data of hiy-\S+-db-data as it was before/,
    );
    assert.equal(await cat(), 'precious');
    assert.equal((await h.get('db.test')).body.trim(), 'db:v2');
    const names = (await instanceObjects('containers', h.instance, '{{.Names}} {{.Status}}')).join('\n');
    assert.match(names, new RegExp(`^${container} Up[^\n]*$`));
  });

  it('a snapshot that cannot be verified aborts the upgrade; the old version keeps serving', async () => {
    await h.commit({ 'db.yaml': statefulPort('v4') });
    const volume = `hiy-${h.instance}-db-data`;
    const snapshotDeps = { podman: new PodmanCli(), dataDir: h.dataDir };
    const before = (await listSnapshots(snapshotDeps, volume)).length;
    // Test double for the export step only: Podman writes a truncated archive.
    const truncatingExport = (real: PodmanDriver): PodmanDriver =>
      Object.assign(Object.create(real) as PodmanDriver, {
        exportVolume: async (name: string, file: string) => {
          await real.exportVolume(name, file);
          await writeFile(file, Buffer.alloc(700));
        },
      });
    const r = await h.hiy(['apply'], {}, truncatingExport);
    assert.equal(r.code, 1);
    assert.match(r.out + r.err, /aborted before any change, the old version runs again/);
    assert.equal((await h.get('db.test')).body.trim(), 'db:v2');
    assert.equal(await cat(), 'precious');
    assert.equal(
      (await listSnapshots(snapshotDeps, volume)).length,
      before,
      'no partial snapshot is recorded',
    );
    // With a working export the same commit now goes through.
    const ok = await h.hiy(['apply']);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.equal((await h.get('db.test')).body.trim(), 'db:v4');
    assert.equal(await cat(), 'precious');
  });
});
