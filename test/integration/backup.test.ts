// Offsite backups with real restic to a local-path repository: hiy backup now|list|restore, retention, failures.
import assert from 'node:assert/strict';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
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
  const resticEnv = () => ({ RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD });
  const resticSnapshots = async (): Promise<{ id: string; tags: string[]; paths: string[] }[]> => {
    const r = await execa('restic', ['snapshots', '--json'], { env: resticEnv() });
    // The volumes' backups (a whole-box run also stores HIY's own state and hosted repositories: restore-box.test.ts).
    return ((JSON.parse(r.stdout) ?? []) as { tags: string[] }[]).filter(
      (s) => !s.tags.includes('hiy.box-state=1') && !s.tags.some((t) => t.startsWith('hiy.repo=')),
    ) as { id: string; tags: string[]; paths: string[] }[];
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
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.out + applied.err);
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
      join(h.dataDir, 'snapshots', volume, local.id),
      "restic read the verified snapshot's own directory: no staging copy",
    );
    const dump = await execa('restic', ['ls', '--json', snaps[0]!.id], { env: resticEnv() });
    const names = dump.stdout
      .split('\n')
      .filter((l) => l.includes('"struct_type":"node"'))
      .map((l) => JSON.parse(l).name as string)
      .sort();
    assert.deepEqual(names, ['archive.tar', 'manifest.json']);

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

  it('a volume unchanged since its last backup is not uploaded again; the run still counts', async () => {
    const before = await resticSnapshots();
    const r = await h.hiy(['backup', 'now', '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const run = JSON.parse(r.out);
    assert.equal(run.volumes.length, 1);
    assert.equal(run.volumes[0].unchanged, true);
    assert.equal(run.volumes[0].id, before.at(-1)!.id, "the volume's backup is its last one");
    assert.deepEqual(
      (await resticSnapshots()).map((s) => s.id),
      before.map((s) => s.id),
      'no restic snapshot added or forgotten',
    );
    const [local] = await localBackupSnapshots();
    assert.ok(before.at(-1)!.tags.includes(`hiy.sha256=${local.sha256}`), 'same archive, byte for byte');
    assert.equal((await localBackupSnapshots()).length, 1);
    const events = await h.stores.events.read();
    assert.equal(events.at(-1)?.type, 'backup.succeeded');
  });

  it("what a killed run left (working directory, restored snapshot's dir, scratch volume) goes at the next run", async () => {
    const dead = execa('true');
    await dead;
    const leftDir = join(h.dataDir, 'backup', `restore-${dead.pid}-Ab12Cd`);
    await mkdir(leftDir, { recursive: true });
    await writeFile(join(leftDir, 'archive.tar'), 'half a restore');
    const scratch = `hiy-${h.instance}-scratch-left${dead.pid}`;
    await execa('podman', [
      'volume',
      'create',
      '--label',
      `hiy.backup-scratch=${h.instance}`,
      '--label',
      `hiy.backup-scratch-pid=${dead.pid}`,
      scratch,
    ]);
    try {
      const before = await resticSnapshots();
      await sh('echo fourth > /data/file');
      const r = await h.hiy(['backup', 'now']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(
        r.out,
        /removed what an interrupted backup run left: 1 working directory, 1 scratch volume/,
      );
      await assert.rejects(stat(leftDir), 'the working directory is gone');
      const vols = (await execa('podman', ['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
      assert.ok(!vols.includes(scratch), 'the scratch volume is gone');
      assert.ok(vols.includes(volume), "the resource's volume is kept");
      // Nothing lost: the earlier backup is still there (keep: last 2) and the new one holds the change.
      const now = await resticSnapshots();
      assert.equal(now.length, 2);
      assert.ok(now.some((s) => s.id === before.at(-1)!.id));
      assert.equal((await sh('cat /data/file')).stdout, 'fourth');
    } finally {
      await execa('podman', ['volume', 'rm', scratch], { reject: false });
    }
  });

  it('a failed upload keeps the local snapshot and removes no backup', async () => {
    const before = await resticSnapshots();
    const localBefore = await localBackupSnapshots();
    await sh('echo fifth > /data/file'); // changed: an unchanged volume would not be uploaded at all
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

  it('backup restore puts the latest backup back, verified, the current content snapshotted first', async () => {
    await sh('echo changed > /data/file && rm -r /data/d');
    const r = await h.hiy(['backup', 'restore', 'db', '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const [out] = JSON.parse(r.out).restored;
    assert.equal(out.volume, volume);
    assert.equal(out.files, 2);
    assert.deepEqual(out.restarted, [container]);
    assert.equal(out.preRestore.reason, 'pre-restore');
    // The latest backup is the leftovers test's ("fourth"); the failed upload's "fifth" never reached restic.
    assert.equal((await sh('cat /data/file')).stdout.trim(), 'fourth');
    assert.equal((await sh('cat /data/d/y')).stdout.trim(), 'x');
    assert.equal((await h.get('db.test')).status, 200);
    // No scratch volume and no intermediate snapshot are left.
    const vols = (await execa('podman', ['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
    assert.deepEqual(
      vols.filter((v) => v.startsWith(`hiy-${h.instance}-scratch-`)),
      [],
    );
    const all = JSON.parse((await h.hiy(['snapshot', 'list', '--json'])).out).snapshots;
    assert.deepEqual(
      all.filter((s: { reason: string }) => s.reason === 'from-backup'),
      [],
    );
    const events = await h.stores.events.read();
    assert.equal(events.at(-1)?.type, 'backup.restored');
  });

  it('backup restore --id an older backup --to-volume another volume', async () => {
    const list = JSON.parse((await h.hiy(['backup', 'list', 'db', '--json'])).out).backups;
    const older = list.at(-1);
    const other = `hiy-${h.instance}-inspect`;
    const r = await h.hiy(['backup', 'restore', 'db', '--id', older.shortId, '--to-volume', other]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(
      r.out,
      new RegExp(`Restored backup ${older.shortId} into ${other} \\(created\\): 2 files, verified`),
    );
    const mount = (await execa('podman', ['volume', 'inspect', other, '--format', '{{.Mountpoint}}'])).stdout;
    // keep: last 2 leaves "third" and "fourth": the older one is "third".
    assert.equal((await execa('cat', [join(mount, 'file')])).stdout, 'third');
    assert.equal((await sh('cat /data/file')).stdout.trim(), 'fourth', 'the resource itself is untouched');
    await execa('podman', ['volume', 'rm', other]);
  });

  it('backup drill restores the latest backup into a scratch volume and checks it with no network', async () => {
    const r = await h.hiy(['backup', 'drill', 'db', '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const [d] = JSON.parse(r.out).drills;
    assert.equal(d.passed, true, JSON.stringify(d));
    assert.equal(d.files, 2);
    assert.match(d.check, /default/);
    assert.equal((await h.stores.events.read()).at(-1)?.type, 'backup.drill.passed');
  });

  it('a damaged backup fails verification before anything is replaced', async () => {
    await sh('echo current > /data/file');
    const snapsBefore = JSON.parse((await h.hiy(['snapshot', 'list', '--json'])).out).snapshots.length;
    // Damage every data pack of the repository (restic authenticates what it decrypts).
    const packs = (await execa('find', [join(repo, 'data'), '-type', 'f'])).stdout.split('\n');
    for (const p of packs)
      await execa('dd', ['if=/dev/urandom', `of=${p}`, 'bs=1', 'count=64', 'seek=100', 'conv=notrunc']);
    const r = await h.hiy(['backup', 'restore', 'db']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /backup \w+ of \S+ cannot be restored|failed verification/);
    assert.equal((await sh('cat /data/file')).stdout.trim(), 'current', 'the volume is untouched');
    assert.equal(JSON.parse((await h.hiy(['snapshot', 'list', '--json'])).out).snapshots.length, snapsBefore);
    const vols = (await execa('podman', ['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
    assert.deepEqual(
      vols.filter((v) => v.startsWith(`hiy-${h.instance}-scratch-`)),
      [],
    );
    assert.equal((await h.get('db.test')).status, 200);
  });

  it('backup drill catches the damaged backup: exit 1, a failed-drill event, no scratch volume left', async () => {
    const r = await h.hiy(['backup', 'drill']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /drill of \S+ \(backup \w+\) FAILED/);
    assert.equal((await h.stores.events.read()).at(-1)?.type, 'backup.drill.failed');
    const vols = (await execa('podman', ['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
    assert.deepEqual(
      vols.filter((v) => v.startsWith(`hiy-${h.instance}-scratch-`)),
      [],
    );
  });
});
