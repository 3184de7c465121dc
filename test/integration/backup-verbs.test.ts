// The backup verbs over a real sshd (`ssh hiy@box backup:now db`) and the backup routes of the HTTP API, with real
// restic to a local path: the grants of snapshot and rollback, refusals (403) and the audit log.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import { apiRequest } from '../support/api.js';
import { TestController } from '../support/controller.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

const PASSWORD = 'verbs horse battery staple 90d2';

const backupYaml = (repository: string) => `apiVersion: hiy/v1
kind: Backup
metadata:
  name: offsite
spec:
  repository: ${repository}
  passwordSecret: restic-password
`;

describe('backup verbs over SSH and the API', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let server: ApiServer;
  let viewer: ClientKey;
  let deployer: ClientKey;
  /** Admin of an App that does not hold port/db: reaches none of its backups. */
  let outsider: ClientKey;
  const tokens: Record<string, string> = {};
  let container: string;
  let volume: string;
  const sh = (script: string) => execa('podman', ['exec', container, 'sh', '-c', script]);
  const call = async (method: string, path: string, who: string, body?: unknown) => {
    const r = await apiRequest(server.url, method, path, tokens[who]!, body);
    return { status: r.status, json: () => JSON.parse(r.text) as Record<string, unknown> };
  };
  const audit = async () =>
    (await readFile(join(h.dataDir, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);

  before(async () => {
    sshd = await startSshd();
    viewer = await sshd.newKey('viewer');
    deployer = await sshd.newKey('deployer');
    outsider = await sshd.newKey('outsider');
    h = await startHarness({
      'users.yaml': [
        userYaml('viewer', viewer, [{ app: '*', role: 'view' }]),
        userYaml('deployer', deployer, [{ app: '*', role: 'deploy' }]),
        userYaml('outsider', outsider, [{ app: 'blog', role: 'admin' }]),
      ].join('---\n'),
      'db.yaml': webPort('db', 'db.test', { volume: true }),
    });
    await h.commit({ 'backup.yaml': backupYaml(join(h.root, 'offsite-repo')) });
    await h.stores.secrets.set('restic-password', PASSWORD);
    container = `hiy-${h.instance}-db`;
    volume = `hiy-${h.instance}-db-data`;
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.err);
    await sh('echo first > /data/file');
    const keys = await h.hiy(['authorized-keys', '--out', sshd.authorizedKeysFile], {
      HIY_SELF: JSON.stringify(testSelfCommand()),
    });
    assert.equal(keys.code, 0, keys.err);
    for (const u of ['viewer', 'deployer', 'outsider'])
      tokens[u] = (await h.hiy(['token', 'create', u])).out.trim();
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    server = await startApiServer({ controller: new TestController(engine), engine, addr: '127.0.0.1:0' });
  });
  after(async () => {
    await server?.close();
    await sshd?.stop();
    await h?.cleanup();
  });

  it('ssh backup:now by a deploy user: progress as it happens, sizes at the end', async () => {
    const r = await sshd.ssh(deployer, ['backup:now db']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /uploading \S+ to /);
    assert.match(
      r.stdout,
      new RegExp(`^${volume}: backup [0-9a-f]{8}, \\d+ files, [\\d.]+ \\S+, [\\d.]+ \\S+ added$`, 'm'),
    );
    assert.ok(!`${r.stdout}${r.stderr}`.includes(PASSWORD));
    assert.equal((await h.get('db.test')).status, 200);
  });

  it('ssh backup:list by a view user; --json the same entries', async () => {
    const r = await sshd.ssh(viewer, ['backup:list db']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^[0-9a-f]{8}  \\S+ \\S+  ${volume}  snapshot \\S+$`, 'm'));
    const j = await sshd.ssh(viewer, ['backup:list db --json']);
    assert.equal(j.code, 0, j.stderr);
    const [entry] = JSON.parse(j.stdout).backups;
    assert.equal(entry.resource, 'port/db');
    assert.equal(entry.volume, volume);
  });

  it('ssh: a view user may not back up or restore; a user without a grant may not even list (audited)', async () => {
    const now = await sshd.ssh(viewer, ['backup:now db']);
    assert.equal(now.code, 1);
    assert.equal(now.stderr.trim(), 'hiy: refused: backup:now needs the deploy role on port/db');
    const restore = await sshd.ssh(viewer, ['backup:restore db']);
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /refused: backup:restore needs the deploy role on port\/db/);
    const list = await sshd.ssh(outsider, ['backup:list db']);
    assert.equal(list.code, 1);
    assert.match(list.stderr, /refused: backup:list needs the view role on port\/db/);
    const lines = (await audit()).slice(-3);
    assert.deepEqual(
      lines.map((l) => [l.actor, l.target, l.result]),
      [
        ['viewer', 'port/db', 'denied'],
        ['viewer', 'port/db', 'denied'],
        ['outsider', 'port/db', 'denied'],
      ],
    );
    assert.equal(
      JSON.parse((await sshd.ssh(viewer, ['backup:list db --json'])).stdout).backups.length,
      1,
      'no backup was made by a refused call',
    );
  });

  it('ssh backup:restore by a deploy user puts the backup back', async () => {
    await sh('echo changed > /data/file');
    const r = await sshd.ssh(deployer, ['backup:restore db']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Restored backup [0-9a-f]{8} into ${volume}: 1 files, verified\\.`));
    assert.equal((await sh('cat /data/file')).stdout.trim(), 'first');
    assert.equal((await h.get('db.test')).status, 200);
  });

  it('API: POST /api/v1/backups by a deploy user backs up; GET lists it for a view user', async () => {
    await sh('echo second > /data/file');
    const r = await call('POST', '/api/v1/backups', 'deployer', { resource: 'db' });
    assert.equal(r.status, 200, JSON.stringify(r.json()));
    const run = r.json() as { volumes: { volume: string }[]; failures: unknown[] };
    assert.deepEqual(
      run.volumes.map((v) => v.volume),
      [volume],
    );
    assert.deepEqual(run.failures, []);
    const list = await call('GET', '/api/v1/backups?resource=db', 'viewer');
    assert.equal(list.status, 200);
    assert.equal((list.json().backups as unknown[]).length, 2);
    assert.deepEqual(
      (await audit()).slice(-1).map((l) => [l.actor, l.via, l.action, l.target, l.result]),
      [['deployer', 'api', 'backup.now', 'port/db', 'ok']],
    );
  });

  it('API: refusals are 403 and audited; the whole-box list shows only what the caller may read', async () => {
    for (const [path, body] of [
      ['/api/v1/backups', { resource: 'db' }],
      ['/api/v1/backups/restore', { resource: 'db' }],
      ['/api/v1/backups/drill', { resource: 'db' }],
    ] as const) {
      const r = await call('POST', path, 'viewer', body);
      assert.equal(r.status, 403, path);
    }
    // A deploy role on `*` is still needed to back up the whole box; the outsider has it on one App only.
    assert.equal((await call('POST', '/api/v1/backups', 'outsider', {})).status, 403);
    assert.equal((await call('GET', '/api/v1/backups?resource=db', 'outsider')).status, 403);
    const all = await call('GET', '/api/v1/backups', 'outsider');
    assert.equal(all.status, 200);
    assert.deepEqual(all.json().backups, [], 'none of port/db is shown to a user without a grant on it');
    assert.deepEqual(
      (await audit()).slice(-4).map((l) => [l.actor, l.action, l.result]),
      [
        ['viewer', 'backup.now', 'denied'],
        ['viewer', 'backup.restore', 'denied'],
        ['viewer', 'backup.drill', 'denied'],
        ['outsider', 'backup.now', 'denied'],
      ],
    );
    assert.equal(
      ((await call('GET', '/api/v1/backups?resource=db', 'viewer')).json().backups as unknown[]).length,
      2,
      'no refused call made a backup',
    );
  });

  it('API: drill and restore by a deploy user', async () => {
    const drill = await call('POST', '/api/v1/backups/drill', 'deployer', { resource: 'db' });
    assert.equal(drill.status, 200, JSON.stringify(drill.json()));
    assert.equal(drill.json().ok, true);
    await sh('echo changed > /data/file');
    const restore = await call('POST', '/api/v1/backups/restore', 'deployer', { resource: 'db' });
    assert.equal(restore.status, 200, JSON.stringify(restore.json()));
    const [out] = restore.json().restored as { volume: string; files: number }[];
    assert.equal(out?.volume, volume);
    assert.equal((await sh('cat /data/file')).stdout.trim(), 'second');
    assert.equal((await h.get('db.test')).status, 200);
    const missing = await call('POST', '/api/v1/backups/restore', 'deployer', {});
    assert.equal(missing.status, 400);
  });
});
