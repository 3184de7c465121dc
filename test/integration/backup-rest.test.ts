// Offsite backups to a restic REST server (`rclone serve restic`, Debian's rclone) with HTTP basic auth: the login
// comes from a secret through spec.rest, never from git; a wrong login fails clearly and prints no password.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { freePort, waitFor } from '../support/ports.js';

const PASSWORD = 'rest horse battery staple 7d2e';
const LOGIN = 'hiy-backup:s3cr@t/pass word';

const backupYaml = (name: string, port: number, secret: string) => `apiVersion: hiy/v1
kind: Backup
metadata:
  name: ${name}
spec:
  repository: rest:http://127.0.0.1:${port}/hiy
  passwordSecret: restic-password
  rest: {credentialsSecret: ${secret}}
  keep: {last: 2}
`;

describe('offsite backups to a restic REST server (real restic, rclone serve restic)', () => {
  let h: Harness;
  let dir: string;
  let server: ChildProcess | undefined;
  let port: number;
  let container: string;
  let volume: string;
  const sh = (script: string) => execa('podman', ['exec', container, 'sh', '-c', script]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-rest-'));
    port = await freePort();
    const [user, pass] = [LOGIN.slice(0, LOGIN.indexOf(':')), LOGIN.slice(LOGIN.indexOf(':') + 1)];
    server = spawn(
      'rclone',
      ['serve', 'restic', '--addr', `127.0.0.1:${port}`, '--user', user, '--pass', pass, join(dir, 'data')],
      { stdio: 'ignore' },
    );
    await waitFor(
      async () => {
        const r = await execa(
          'curl',
          ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/`],
          {
            reject: false,
          },
        );
        return r.stdout === '401' ? true : undefined;
      },
      { what: 'rclone serve restic to answer', timeoutMs: 30_000, intervalMs: 200 },
    );
    h = await startHarness({ 'db.yaml': webPort('db', 'db.test', { volume: true }) });
    await h.commit({
      'backup.yaml': backupYaml('offsite', port, 'rest-login'),
      'wrong.yaml': backupYaml('wrong', port, 'rest-wrong').replace('/hiy', '/other'),
    });
    await h.stores.secrets.set('restic-password', PASSWORD);
    await h.stores.secrets.set('rest-login', LOGIN);
    await h.stores.secrets.set('rest-wrong', 'hiy-backup:not-the-password');
    container = `hiy-${h.instance}-db`;
    volume = `hiy-${h.instance}-db-data`;
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.out + applied.err);
    await sh('mkdir -p /data/d && echo first > /data/file && echo x > /data/d/y');
  });

  after(async () => {
    await h?.cleanup();
    server?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('hiy validate refuses a password in the URL and spec.rest on another kind of repository, with file:line', async () => {
    assert.equal((await h.hiy(['validate'])).code, 0);
    await writeFile(
      join(h.stateDir, 'bad.yaml'),
      `apiVersion: hiy/v1\nkind: Backup\nmetadata:\n  name: bad\nspec:\n  repository: rest:http://u:p@127.0.0.1:1/x\n  passwordSecret: p\n---\napiVersion: hiy/v1\nkind: Backup\nmetadata:\n  name: bad2\nspec:\n  repository: /srv/disk\n  passwordSecret: p\n  rest: {credentialsSecret: rest-login}\n`,
    );
    try {
      const r = await h.hiy(['validate', '--worktree']);
      assert.notEqual(r.code, 0);
      assert.match(r.err + r.out, /bad\.yaml:\d+.*spec\.repository.*holds a password/);
      assert.match(r.err + r.out, /bad\.yaml:\d+.*spec\.rest.*not a rest: repository/);
    } finally {
      await rm(join(h.stateDir, 'bad.yaml'));
    }
  });

  it('backup now and restore through the REST server; the login never printed', async () => {
    const r = await h.hiy(['backup', 'now', 'offsite']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Backed up 1 volume\(s\) to offsite/);
    assert.ok(!`${r.out}${r.err}`.includes('s3cr'), 'the login is never printed');
    // restic by hand, with the same login, finds the volume's snapshot on the server.
    const url = `rest:http://hiy-backup:${encodeURIComponent(LOGIN.slice(LOGIN.indexOf(':') + 1))}@127.0.0.1:${port}/hiy`;
    const snaps = await execa('restic', ['snapshots', '--json'], {
      env: { RESTIC_REPOSITORY: url, RESTIC_PASSWORD: PASSWORD },
    });
    const tagged = (JSON.parse(snaps.stdout) as { tags: string[] }[]).filter((s) =>
      s.tags.includes(`hiy.volume=${volume}`),
    );
    assert.equal(tagged.length, 1);
    await sh('echo changed > /data/file && rm -r /data/d');
    const restored = await h.hiy(['backup', 'restore', 'db', '--backup', 'offsite', '--json']);
    assert.equal(restored.code, 0, restored.out + restored.err);
    assert.equal(JSON.parse(restored.out).restored[0].files, 2);
    assert.equal((await sh('cat /data/file')).stdout.trim(), 'first');
    assert.equal((await sh('cat /data/d/y')).stdout.trim(), 'x');
    assert.equal((await h.get('db.test')).status, 200);
  });

  it('a wrong login fails clearly, prints no password and leaves the service serving', async () => {
    const r = await h.hiy(['backup', 'now', 'wrong']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /backup\/wrong/);
    assert.ok(!`${r.out}${r.err}`.includes('not-the-password'), r.err);
    assert.equal((await h.get('db.test')).status, 200);
    assert.equal((await h.stores.events.read()).at(-1)?.type, 'backup.failed');
  });
});
