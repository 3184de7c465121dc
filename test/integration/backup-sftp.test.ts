// Offsite backups to an SFTP target: the box's own OpenSSH sshd (temporary host key, user key, known_hosts) and
// real restic through spec.sftp; an unreachable target (a closed port) fails clearly and touches nothing.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { freePort } from '../support/ports.js';
import { type RunningSshd, startSshd } from '../support/sshd.js';

const PASSWORD = 'sftp horse battery staple 41c9';

const backupYaml = (name: string, repository: string, port: number) => `apiVersion: hiy/v1
kind: Backup
metadata:
  name: ${name}
spec:
  repository: ${repository}
  passwordSecret: restic-password
  sftp:
    identitySecret: sftp-key
    knownHostsSecret: sftp-known-hosts
    port: ${port}
  keep: {last: 2}
`;

describe('offsite backups over SFTP (real restic, real sshd)', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let repoDir: string;
  let container: string;
  let volume: string;
  const sh = (script: string) => execa('podman', ['exec', container, 'sh', '-c', script]);
  const localBackupSnapshots = async () =>
    JSON.parse((await h.hiy(['snapshot', 'list', 'db', '--json'])).out).snapshots.filter(
      (s: { reason: string }) => s.reason === 'backup',
    );
  const volumeBackups = async (backup: string) =>
    JSON.parse((await h.hiy(['backup', 'list', 'db', '--backup', backup, '--json'])).out).backups;

  before(async () => {
    sshd = await startSshd({ sftp: true });
    const key = await sshd.newKey('restic');
    // The key can do nothing but sftp (root logs in with forced commands only).
    await writeFile(sshd.authorizedKeysFile, `restrict,command="internal-sftp" ${key.publicKey}\n`, {
      mode: 0o600,
    });
    repoDir = join(sshd.dir, 'repo');
    h = await startHarness({ 'db.yaml': webPort('db', 'db.test', { volume: true }) });
    const closed = await freePort();
    await h.commit({
      'backup.yaml': backupYaml('offsite', `sftp:root@127.0.0.1:${repoDir}`, sshd.port),
      'closed.yaml': backupYaml('closed', 'sftp:root@127.0.0.1:/srv/nowhere', closed),
    });
    await h.stores.secrets.set('restic-password', PASSWORD);
    await h.stores.secrets.set('sftp-key', await execa('cat', [key.privateKey]).then((r) => r.stdout));
    await h.stores.secrets.set('sftp-known-hosts', await sshd.knownHosts());
    container = `hiy-${h.instance}-db`;
    volume = `hiy-${h.instance}-db-data`;
    assert.equal((await h.hiy(['apply'])).code, 0);
    await sh('mkdir -p /data/d && echo first > /data/file && echo x > /data/d/y');
  });

  after(async () => {
    await h?.cleanup();
    await sshd?.stop();
  });

  it('hiy validate accepts spec.sftp and refuses it on a local repository, with file:line', async () => {
    assert.equal((await h.hiy(['validate'])).code, 0);
    await writeFile(
      join(h.stateDir, 'bad.yaml'),
      `apiVersion: hiy/v1\nkind: Backup\nmetadata:\n  name: bad\nspec:\n  repository: /srv/disk\n  passwordSecret: p\n  sftp: {port: 70000}\n`,
    );
    try {
      const r = await h.hiy(['validate', '--worktree']);
      assert.notEqual(r.code, 0);
      assert.match(r.err + r.out, /bad\.yaml:\d+.*spec\.sftp\.port/);
    } finally {
      await rm(join(h.stateDir, 'bad.yaml'));
    }
  });

  it('backup now over SFTP: repository created on the server, the volume copied, the service serving', async () => {
    const r = await h.hiy(['backup', 'now', 'offsite']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /creating the restic repository/);
    assert.match(r.out, /Backed up 1 volume\(s\) to offsite/);
    assert.ok(!`${r.out}${r.err}`.includes('PRIVATE KEY'), 'the key is never printed');
    assert.equal((await h.get('db.test')).status, 200);
    // The repository is on the sftp server's disk, readable by restic run by hand.
    const snaps = await execa('restic', ['snapshots', '--json'], {
      env: { RESTIC_REPOSITORY: repoDir, RESTIC_PASSWORD: PASSWORD },
    });
    const volumeSnaps = (JSON.parse(snaps.stdout) as { tags: string[] }[]).filter((s) =>
      s.tags.includes(`hiy.volume=${volume}`),
    );
    assert.equal(volumeSnaps.length, 1);
    const log = await sshd.log();
    assert.match(log, /Accepted publickey for root/);
  });

  it('backup list reads the SFTP repository', async () => {
    await sh('echo second > /data/file');
    assert.equal((await h.hiy(['backup', 'now', 'offsite', '--json'])).code, 0);
    const list = await volumeBackups('offsite');
    assert.equal(list.length, 2);
    assert.equal(list[0].resource, 'port/db');
    assert.equal(list[0].volume, volume);
    assert.equal(list[0].backup, 'offsite');
  });

  it('backup restore over SFTP puts the latest backup back, verified', async () => {
    await sh('echo changed > /data/file && rm -r /data/d');
    const r = await h.hiy(['backup', 'restore', 'db', '--backup', 'offsite', '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const [out] = JSON.parse(r.out).restored;
    assert.equal(out.volume, volume);
    assert.equal(out.files, 2);
    assert.equal((await sh('cat /data/file')).stdout.trim(), 'second');
    assert.equal((await sh('cat /data/d/y')).stdout.trim(), 'x');
    assert.equal((await h.get('db.test')).status, 200);
  });

  it('an unreachable SFTP target (a closed port) fails clearly; services untouched, snapshots kept', async () => {
    const localBefore = await localBackupSnapshots();
    assert.equal(localBefore.length, 1);
    const r = await h.hiy(['backup', 'now', 'closed']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /backup\/closed .*the target cannot be reached/);
    assert.ok(!r.err.includes('PRIVATE KEY') && !r.err.includes(PASSWORD));
    assert.equal((await h.get('db.test')).status, 200);
    const [running] = JSON.parse(
      (await execa('podman', ['inspect', container, '--format', 'json'])).stdout,
    ) as { State: { Running: boolean } }[];
    assert.equal(running!.State.Running, true, 'the service was never stopped');
    assert.deepEqual(
      (await localBackupSnapshots()).map((s: { id: string }) => s.id),
      localBefore.map((s: { id: string }) => s.id),
      'the local snapshot of the last good backup is kept',
    );
    assert.equal((await volumeBackups('offsite')).length, 2, 'no earlier backup is removed');
    assert.equal((await h.stores.events.read()).at(-1)?.type, 'backup.failed');
  });
});
