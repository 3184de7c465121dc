// Offsite backups with real restic to a local-path repository: hiy backup now|list|restore, retention, failures.
import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../support/hiy.js';

const PASSWORD = 'correct horse battery staple 7f3a';

const backupYaml = (repository: string) => `apiVersion: hiy/v1
kind: Backup
metadata:
  name: offsite
spec:
  repository: ${repository}
  passwordSecret: restic-password
  keep: {last: 2}
`;

describe('offsite backups (real restic, local path)', () => {
  let h: Harness;
  let repo: string;
  let container: string;
  let volume: string;
  const sh = (script: string) => execa('podman', ['exec', container, 'sh', '-c', script]);
  /** restic run by hand on the repository, as a person checking it would. */
  const resticSnapshots = async (): Promise<{ id: string; tags: string[]; paths: string[] }[]> => {
    const r = await execa('restic', ['snapshots', '--json'], {
      env: { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD },
    });
    return JSON.parse(r.stdout) ?? [];
  };
  const localBackupSnapshots = async () =>
    JSON.parse((await h.hiy(['snapshot', 'list', 'db', '--json'])).out).snapshots.filter(
      (s: { reason: string }) => s.reason === 'backup',
    );

  before(async () => {
    h = await startHarness({ 'db.yaml': webPort('db', 'db.test', { volume: true }) });
    repo = join(h.root, 'offsite-repo');
    await h.commit({ 'backup.yaml': backupYaml(repo) });
    container = `hiy-${h.instance}-db`;
    volume = `hiy-${h.instance}-db-data`;
    assert.equal((await h.hiy(['apply'])).code, 0);
    await sh('mkdir -p /data/d && echo first > /data/file && echo x > /data/d/y');
  });

  after(() => h.cleanup());

  it('refuses clearly while the password secret is not set, touching nothing', async () => {
    const r = await h.hiy(['backup', 'now']);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /secret "restic-password" \(spec\.passwordSecret\) is not set; set it with: hiy secret set restic-password/,
    );
    assert.deepEqual(await localBackupSnapshots(), []);
  });

  it('backup now creates the repository, copies each volume tagged, with the service serving after', async () => {
    await h.stores.secrets.set('restic-password', PASSWORD);
    const r = await h.hiy(['backup', 'now']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /creating the restic repository/);
    assert.match(r.out, /Backed up 1 volume\(s\) to offsite/);
    assert.ok(!`${r.out}${r.err}`.includes(PASSWORD), 'the password is never printed');
    assert.equal((await h.get('db.test')).status, 200);
    const [local] = await localBackupSnapshots();
    assert.ok(local, 'the verified local snapshot the backup was made from is kept');
    const snaps = await resticSnapshots();
    assert.equal(snaps.length, 1);
    const tags = snaps[0]!.tags;
    assert.ok(tags.includes(`hiy.resource=port/db`), tags.join(' '));
    assert.ok(tags.includes(`hiy.volume=${volume}`));
    assert.ok(tags.includes(`hiy.snapshot=${local.id}`));
    assert.ok(tags.includes(`hiy.instance=${h.instance}`));
    assert.ok(tags.some((t) => t.startsWith('hiy.state-commit=')));
    assert.ok(tags.some((t) => t.startsWith('hiy.image=')));
    assert.equal(
      snaps[0]!.paths[0],
      join(h.dataDir, 'backup', 'staging', volume),
      'a stable path per volume',
    );
    // The staged copy is gone once uploaded.
    assert.deepEqual(await readdir(join(h.dataDir, 'backup', 'staging')), []);

    const list = await h.hiy(['backup', 'list', 'db', '--json']);
    assert.equal(list.code, 0, list.err);
    const [entry] = JSON.parse(list.out).backups;
    assert.equal(entry.resource, 'port/db');
    assert.equal(entry.volume, volume);
    assert.equal(entry.snapshot, local.id);
    const table = await h.hiy(['backup', 'list']);
    assert.match(
      table.out,
      new RegExp(`${entry.shortId}\\s+\\S+ \\S+\\s+port/db\\s+${volume}\\s+${local.id}`),
    );
  });

  it('retention keeps the newest backups of each volume; one local backup snapshot is kept', async () => {
    for (const text of ['second', 'third']) {
      await sh(`echo ${text} > /data/file`);
      const r = await h.hiy(['backup', 'now', 'offsite', '--json']);
      assert.equal(r.code, 0, r.out + r.err);
    }
    const snaps = await resticSnapshots();
    assert.equal(snaps.length, 2, 'keep: {last: 2}');
    const locals = await localBackupSnapshots();
    assert.equal(locals.length, 1);
    assert.ok(snaps.some((s) => s.tags.includes(`hiy.snapshot=${locals[0].id}`)));
  });

  it('a failed upload keeps the local snapshot and removes no backup', async () => {
    const before = await resticSnapshots();
    const localBefore = await localBackupSnapshots();
    // restic cannot take its lock: the repository opens, the snapshot is taken, the upload fails.
    await rm(join(repo, 'locks'), { recursive: true });
    await writeFile(join(repo, 'locks'), 'not a directory');
    try {
      const r = await h.hiy(['backup', 'now']);
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.err, /port\/db \(.*\): restic backup failed/);
      const locals = await localBackupSnapshots();
      assert.equal(locals.length, localBefore.length + 1, 'the new local snapshot is kept');
      assert.equal((await h.get('db.test')).status, 200);
      const events = await h.stores.events.read();
      assert.equal(events.at(-1)?.type, 'backup.failed');
    } finally {
      await rm(join(repo, 'locks'));
      await execa('mkdir', [join(repo, 'locks')]);
    }
    assert.deepEqual(
      (await resticSnapshots()).map((s) => s.id),
      before.map((s) => s.id),
    );
  });

  it('a wrong password fails loudly before any service is stopped', async () => {
    await h.stores.secrets.set('restic-password', 'not the password');
    try {
      const localBefore = await localBackupSnapshots();
      const r = await h.hiy(['backup', 'now']);
      assert.equal(r.code, 1);
      assert.match(r.err, /backup\/offsite .*the password does not open the repository/);
      assert.ok(!r.err.includes('not the password'));
      assert.equal((await localBackupSnapshots()).length, localBefore.length, 'nothing was snapshotted');
      const events = await h.stores.events.read();
      assert.equal(events.at(-1)?.type, 'backup.failed');
    } finally {
      await h.stores.secrets.set('restic-password', PASSWORD);
    }
  });
});
