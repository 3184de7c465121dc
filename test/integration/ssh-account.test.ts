// The dedicated ssh account: `hiy ssh-account` creates a real unprivileged system user, a root-owned wrapper and a
// sudoers rule; a real sshd (StrictModes on) lets the account's keys push, and every apply keeps the keys current.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, makeRepo, startHarness, webContainerfile } from '../support/hiy.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

const APP = `apiVersion: hiy/v1
kind: App
metadata:
  name: site
spec:
  source: { repo: site }
  routes: [{ host: site.test, port: 8080 }]
  healthcheck: { http: { path: /, port: 8080 }, interval: 1s, timeout: 20s }
  stopGracePeriod: 1s
`;

describe('hiy ssh-account: pushes through an unprivileged account', () => {
  const account = `hiyt${randomBytes(3).toString('hex')}`;
  const sudoers = `/etc/sudoers.d/hiy-test-${account}`;
  const self = JSON.stringify(testSelfCommand());
  let root: string;
  let home: string;
  let wrapper: string;
  let sshd: RunningSshd;
  let h: Harness;
  let alice: ClientKey;
  let dave: ClientKey;
  let src: string;

  const setup = (...extra: string[]) =>
    h.hiy(
      [
        'ssh-account',
        '--user',
        account,
        '--home',
        home,
        '--wrapper',
        wrapper,
        '--sudoers',
        sudoers,
        ...extra,
      ],
      {
        HIY_SELF: self,
      },
    );

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hiy-account-'));
    await chmod(root, 0o755);
    home = join(root, 'home');
    wrapper = join(root, 'libexec', 'git-shell');
    sshd = await startSshd({ user: account, authorizedKeysFile: '.ssh/authorized_keys' });
    [alice, dave] = await Promise.all([sshd.newKey('alice'), sshd.newKey('dave')]);
    h = await startHarness({ 'users.yaml': userYaml('alice', alice), 'apps.yaml': APP });
    src = join(h.root, 'site');
    await makeRepo(src, { Containerfile: webContainerfile('one') });
  });

  after(async () => {
    await sshd?.stop();
    await h?.cleanup(); // containers, volumes and the images built for this instance
    await execa('userdel', [account], { reject: false });
    await rm(sudoers, { force: true });
    await rm(root, { recursive: true, force: true });
  });

  it('--dry-run prints the three files and changes nothing', async () => {
    const r = await setup('--dry-run');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^# mode root: the keys run the wrapper as root through sudo/);
    assert.match(r.out, new RegExp(`# ${wrapper} \\(root, 755\\)`));
    assert.match(r.out, new RegExp(`${account} ALL=\\(root\\) NOPASSWD: ${wrapper}`));
    assert.match(r.out, /restrict,pty,command="\/usr\/bin\/sudo -n \S+ alice" ssh-ed25519 /);
    assert.equal(existsSync(wrapper), false);
    assert.equal(existsSync(sudoers), false);
    assert.equal((await execa('getent', ['passwd', account], { reject: false })).exitCode, 2);
  });

  it('creates an unprivileged user, a root-owned wrapper, a visudo-checked sudoers rule and the keys', async () => {
    const r = await setup('--json');
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { mode: string; created: boolean; uid: number; keys: number };
    assert.equal(out.mode, 'root', 'root with a root-owned data dir: root mode');
    assert.equal(out.created, true);
    assert.notEqual(out.uid, 0);
    assert.equal(out.keys, 1);
    const [name, , uid, , , userHome, shell] = (await execa('getent', ['passwd', account])).stdout.split(':');
    assert.deepEqual([name, Number(uid), userHome, shell], [account, out.uid, home, '/bin/sh']);
    const modes = async (p: string) => {
      const s = await stat(p);
      return { uid: s.uid, mode: (s.mode & 0o777).toString(8) };
    };
    assert.deepEqual(await modes(wrapper), { uid: 0, mode: '755' });
    assert.deepEqual(await modes(sudoers), { uid: 0, mode: '440' });
    assert.deepEqual(await modes(join(home, '.ssh', 'authorized_keys')), { uid: 0, mode: '644' });
    assert.equal((await execa('visudo', ['-c', '-q', '-f', sudoers], { reject: false })).exitCode, 0);
    const keys = await readFile(join(home, '.ssh', 'authorized_keys'), 'utf8');
    assert.match(
      keys,
      new RegExp(`^restrict,pty,command="/usr/bin/sudo -n ${wrapper} alice" ssh-ed25519 `, 'm'),
    );
    // The settings live in the root-owned wrapper, not in the keys.
    assert.ok(!keys.includes(h.dataDir));
    const script = await readFile(wrapper, 'utf8');
    assert.ok(script.includes(h.dataDir) && script.includes(h.stateDir) && script.includes(h.instance));
  });

  it('as root, a data dir owned by an unprivileged user means rootless mode: it says to run as that user', async () => {
    const owned = join(root, 'owned-data');
    await mkdir(owned);
    await chown(owned, Number((await execa('id', ['-u', account])).stdout), -1);
    const r = await h.hiy(['ssh-account', '--user', account, '--home', join(root, 'x')], {
      HIY_DATA_DIR: owned,
    });
    assert.notEqual(r.code, 0);
    assert.match(
      r.err,
      new RegExp(`runuser -u ${account} -- env HOME=\\S+ HIY_DATA_DIR=${owned} hiy ssh-account`),
    );
    assert.match(r.err, /--mode root/);
    assert.equal(existsSync(join(root, 'x')), false);
  });

  it('a user with the grant pushes as the account: built, deployed, served through Caddy', async () => {
    const r = await sshd.git(alice, src, ['push', sshd.url('site'), 'main']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /-----> Building app\/site/);
    assert.match(r.stderr, /-----> Deployed app\/site/);
    assert.equal((await h.get('site.test')).body.trim(), 'one');
    assert.match(await sshd.log(), new RegExp(`Accepted publickey for ${account}`));
  });

  it('the account can run nothing else: other commands, other sudo commands, flags to the wrapper', async () => {
    const shell = await sshd.ssh(alice, ['sh -c id']);
    assert.notEqual(shell.code, 0);
    assert.match(shell.stderr, /hiy: refused/);
    assert.doesNotMatch(shell.stdout, /uid=/);
    const asAccount = (args: string[]) =>
      execa('runuser', ['-u', account, '--', ...args], { reject: false, stdin: 'ignore' });
    const other = await asAccount(['/usr/bin/sudo', '-n', '/usr/bin/id']);
    assert.notEqual(other.exitCode, 0);
    assert.doesNotMatch(other.stdout, /uid=0/);
    const flags = await asAccount(['/usr/bin/sudo', '-n', wrapper, '--data-dir=/tmp']);
    assert.notEqual(flags.exitCode, 0);
    assert.match(flags.stderr, /refused: not a user name/);
    const two = await asAccount(['/usr/bin/sudo', '-n', wrapper, 'alice', 'extra']);
    assert.notEqual(two.exitCode, 0);
    // The environment of the account does not reach HIY: the wrapper's settings win.
    const env = await execa('runuser', ['-u', account, '--', '/usr/bin/sudo', '-n', wrapper, 'alice'], {
      reject: false,
      stdin: 'ignore',
      env: { HIY_DATA_DIR: '/tmp/elsewhere', SSH_ORIGINAL_COMMAND: "git-upload-pack 'site'" },
    });
    // git-upload-pack of HIY's repository answered (its ref advertisement), then met the end of stdin.
    assert.match(env.stdout, /refs\/heads\/main/, env.stderr);
    assert.equal(existsSync('/tmp/elsewhere'), false);
  });

  it('every apply keeps the keys current: a new User can push, a removed one is refused by sshd', async () => {
    const before = await sshd.git(dave, src, ['ls-remote', sshd.url('site')]);
    assert.notEqual(before.code, 0);
    assert.match(before.stderr, /Permission denied \(publickey\)/);
    await h.commit({ 'users.yaml': userYaml('dave', dave) });
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.err);
    const keys = await readFile(join(home, '.ssh', 'authorized_keys'), 'utf8');
    assert.match(keys, / dave" ssh-ed25519 /);
    assert.doesNotMatch(keys, / alice" /);
    const daveReads = await sshd.git(dave, src, ['ls-remote', sshd.url('site')]);
    assert.equal(daveReads.code, 0, daveReads.stderr);
    const aliceNow = await sshd.git(alice, src, ['ls-remote', sshd.url('site')]);
    assert.notEqual(aliceNow.code, 0);
    assert.match(aliceNow.stderr, /Permission denied \(publickey\)/);
  });

  it('audits every git request and push: who, what, the outcome and the client address', async () => {
    const entries = (await readFile(join(h.dataDir, 'audit.log'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, string>);
    const find = (action: string, actor: string) =>
      entries.find((e) => e.action === action && e.actor === actor);
    assert.deepEqual(
      { ...find('git.push', 'alice'), at: undefined },
      {
        at: undefined,
        actor: 'alice',
        via: 'ssh',
        action: 'git.push',
        target: 'site',
        result: 'ok',
        detail: 'from 127.0.0.1',
      },
    );
    assert.match(find('push.deploy', 'alice')?.detail ?? '', /^main [0-9a-f]{12}$/);
    assert.equal(find('push.deploy', 'alice')?.result, 'ok');
    // Commands git-shell refuses before touching the file system (`sh -c id` above) are not written anywhere.
    assert.equal(
      entries.filter(
        (e) => e.action !== 'git.push' && e.action !== 'git.fetch' && !e.action?.startsWith('push.'),
      ).length,
      0,
    );
    assert.equal(find('git.fetch', 'dave')?.result, 'ok');
  });

  it('--remove deletes the keys, wrapper and rule (not the user); applies stop writing keys', async () => {
    const r = await setup('--remove');
    assert.equal(r.code, 0, r.err);
    for (const f of [wrapper, sudoers, join(home, '.ssh', 'authorized_keys')])
      assert.equal(existsSync(f), false, f);
    assert.equal((await execa('getent', ['passwd', account], { reject: false })).exitCode, 0);
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.err);
    assert.equal(existsSync(join(home, '.ssh', 'authorized_keys')), false);
  });
});
