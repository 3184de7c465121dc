// The everyday-operation verbs through a real sshd and hiy git-shell: the same grants as the API, a terminal only
// for exec and run, one audit line per call, and anything else refused before a file is read.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { git, type Harness, startHarness } from '../support/hiy.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

const TOKEN = 'ssh-tok-77a1';

async function listTree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    out.push(relative(dir, join(e.parentPath ?? (e as { path: string }).path, e.name)));
  return out.sort();
}

const port = `apiVersion: hiy/v1
kind: Port
metadata:
  name: web
spec:
  image: localhost/hiy/busybox:latest
  command: ["/bin/sh", "-c", "echo web-is-up; mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
  env:
    GREETING: hello
  secretEnv:
    TOKEN: web-token
  healthcheck:
    tcp: { port: 8080 }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
`;

describe('everyday operations over SSH', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let viewer: ClientKey;
  let deployer: ClientKey;
  let admin: ClientKey;
  /** Granted `app: web`, which names the Port web as if it were an App (hiy validate warns): it reaches nothing. */
  let misgranted: ClientKey;
  const audit = async () =>
    existsSync(join(h.dataDir, 'audit.log'))
      ? (await readFile(join(h.dataDir, 'audit.log'), 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, string>)
      : [];

  before(async () => {
    sshd = await startSshd();
    viewer = await sshd.newKey('viewer');
    deployer = await sshd.newKey('deployer');
    admin = await sshd.newKey('admin');
    misgranted = await sshd.newKey('misgranted');
    h = await startHarness({
      'users.yaml': [
        userYaml('viewer', viewer, [{ app: '*', role: 'view' }]),
        userYaml('deployer', deployer, [{ app: '*', role: 'deploy' }]),
        userYaml('admin', admin, [{ app: '*', role: 'admin' }]),
        userYaml('misgranted', misgranted, [{ app: 'web', role: 'admin' }]),
      ].join('---\n'),
      'web.yaml': port,
    });
    const secretFile = join(h.root, 'token');
    await writeFile(secretFile, TOKEN);
    assert.equal((await h.hiy(['secret', 'set', 'web-token', '--from-file', secretFile])).code, 0);
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.err);
    const keys = await h.hiy(['authorized-keys', '--out', sshd.authorizedKeysFile], {
      HIY_SELF: JSON.stringify(testSelfCommand()),
    });
    assert.equal(keys.code, 0, keys.err);
    assert.match(await readFile(sshd.authorizedKeysFile, 'utf8'), /^restrict,pty,command=/m);
  });
  after(async () => {
    await sshd?.stop();
    await h?.cleanup();
  });

  it('a view user reads logs and config, but restart is refused', async () => {
    const logs = await sshd.ssh(viewer, ['logs web --tail 5']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /web-is-up/);
    const config = await sshd.ssh(viewer, ['config', 'web']);
    assert.equal(config.code, 0, config.stderr);
    assert.match(config.stdout, /^GREETING=hello$/m);
    assert.match(config.stdout, /^TOKEN=<secret web-token>$/m);
    assert.doesNotMatch(config.stdout, new RegExp(TOKEN));
    const restart = await sshd.ssh(viewer, ['restart web']);
    assert.equal(restart.code, 1);
    assert.equal(restart.stderr.trim(), 'hiy: refused: restart needs the deploy role on port/web');
    const lines = await audit();
    assert.deepEqual(
      lines.slice(-3).map((l) => [l.actor, l.action, l.target, l.result]),
      [
        ['viewer', 'ssh.logs', 'port/web', 'ok'],
        ['viewer', 'ssh.config', 'port/web', 'ok'],
        ['viewer', 'ssh.restart', 'port/web', 'denied'],
      ],
    );
    // --previous reaches the same reader as hiy logs: nothing replaced yet, so a clear refusal.
    const previous = await sshd.ssh(viewer, ['logs web --previous --tail 5']);
    assert.equal(previous.code, 1);
    assert.match(previous.stderr, /no previous container of port\/web recorded/);
  });

  it('help, status and ps:report answer every User, each showing only what the user may view', async () => {
    const help = await sshd.ssh(viewer, ['help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^ps:report NAME\s+view on NAME$/m);
    assert.match(help.stdout, /You are viewer, granted: view on \*/);
    const status = await sshd.ssh(viewer, ['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^port\/web\s+running\s+localhost\/hiy\/busybox:latest/m);
    const report = await sshd.ssh(viewer, ['ps:report web']);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /^Resource:\s+port\/web$/m);
    assert.match(report.stdout, /^State:\s+running$/m);
    // `app: web` reaches no Port web: its status lists nothing, its report is refused.
    const none = await sshd.ssh(misgranted, ['status']);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /No resources you may view/);
    assert.doesNotMatch(none.stdout, /port\/web/);
    const refused = await sshd.ssh(misgranted, ['ps:report web']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), 'hiy: refused: ps:report needs the view role on port/web');
  });

  it('a deploy user sets config (one commit, authored by the User) and runs a one-off with its exit code', async () => {
    const before = await git(h.stateDir, ['rev-parse', 'HEAD']);
    const set = await sshd.ssh(deployer, ['config:set web LOG_LEVEL=debug']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(await git(h.stateDir, ['rev-list', '--count', `${before}..HEAD`]), '1');
    assert.equal(
      await git(h.stateDir, ['log', '-1', '--format=%an <%ae>|%s']),
      'deployer <deployer@hiy>|config: set LOG_LEVEL on port/web',
    );
    const run = await sshd.ssh(deployer, ['run', 'web', '--', 'sh', '-c', "'exit 3'"]);
    assert.equal(run.code, 3, run.stderr);
    const exec = await sshd.ssh(deployer, ['exec web -- env']);
    assert.equal(exec.code, 1);
    assert.match(exec.stderr, /refused: exec needs the admin role on port\/web/);
  });

  it('an admin execs with secretEnv; a terminal is given to exec only', async () => {
    const exec = await sshd.ssh(admin, ['exec web -- env']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.match(exec.stdout, new RegExp(`^TOKEN=${TOKEN}$`, 'm'));
    const tty = await sshd.ssh(admin, ['-tt', 'exec web -- tty']);
    assert.equal(tty.code, 0, tty.stderr + tty.stdout);
    assert.match(tty.stdout, /\/dev\/pts\//);
    const logs = await sshd.ssh(admin, ['-tt', 'logs web']);
    assert.notEqual(logs.code, 0);
    assert.match(logs.stdout + logs.stderr, /refused: logs takes no terminal/);
  });

  it('app/NAME never reaches a Port NAME: a grant `app: web` gives no way into the Port web', async () => {
    const audited = (await audit()).length;
    for (const [command, refusal] of [
      ['exec app/web -- cat /proc/1/cmdline', 'hiy: refused: no App named web in the state repo'],
      ['logs app/web --tail 5', 'hiy: refused: no App named web in the state repo'],
      ['logs app/web --previous', 'hiy: refused: no App named web in the state repo'],
      ['config app/web', 'hiy: refused: no App named web in the state repo'],
      ['run app/web -- true', 'hiy: refused: no App named web in the state repo'],
      ['logs web --tail 5', 'hiy: refused: logs needs the view role on port/web'],
      ['exec port/web -- env', 'hiy: refused: exec needs the admin role on port/web'],
    ] as const) {
      const r = await sshd.ssh(misgranted, [command]);
      assert.equal(r.code, 1, `${command}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim(), refusal, command);
      assert.doesNotMatch(r.stdout, /web-is-up|httpd|GREETING/, command);
    }
    const lines = (await audit()).slice(audited);
    assert.equal(lines.length, 7);
    assert.ok(lines.every((l) => l.actor === 'misgranted' && l.result === 'denied'));
    // The admin's app/web is refused the same way; port/web reaches the Port.
    assert.equal(
      (await sshd.ssh(admin, ['logs app/web'])).stderr.trim(),
      'hiy: refused: no App named web in the state repo',
    );
    const logs = await sshd.ssh(admin, ['logs port/web --tail 5']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /web-is-up/);
  });

  for (const [what, command] of [
    ['an unknown verb', 'rm -rf /'],
    ['shell syntax after a verb', 'logs web; touch /tmp/x'],
    ['a verb with a hostile name', 'logs ../../etc'],
    ['an unknown flag', 'logs web --output /etc/passwd'],
  ] as const) {
    it(`refuses ${what} before any file is read`, async () => {
      const tree = await listTree(h.dataDir);
      const audited = (await audit()).length;
      const r = await sshd.ssh(admin, [command]);
      assert.equal(r.code, 1);
      assert.match(r.stderr.trim(), /^hiy: refused/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.deepEqual(await listTree(h.dataDir), tree);
      assert.equal((await audit()).length, audited, 'a request that does not parse is not audited');
    });
  }
});
