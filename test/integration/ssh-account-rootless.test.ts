// Pushes over ssh to HIY's own unprivileged user, no sudo: `hiy ssh-account` in rootless mode writes the user's own
// authorized_keys and wrapper; a real sshd (StrictModes on) lets a key push an App that is built, deployed and
// served through Caddy, and no process of the push or of the App runs as root. As root, it runs itself as `hiy`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { LABEL_INSTANCE } from '../../src/model/labels.js';
import { type Harness, makeRepo, startHarness, webContainerfile } from '../support/hiy.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
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

interface Proc {
  pid: number;
  ppid: number;
  user: string;
  args: string;
}

async function processes(): Promise<Proc[]> {
  const r = await execa('ps', ['-ww', '-eo', 'pid=,ppid=,user:32=,args=']);
  return r.stdout.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    return m ? [{ pid: Number(m[1]), ppid: Number(m[2]), user: m[3]!, args: m[4]! }] : [];
  });
}

/** The processes under `roots` (roots included). */
function descendants(all: Proc[], roots: number[]): Proc[] {
  const out = all.filter((p) => roots.includes(p.pid));
  for (let i = 0; i < out.length; i++) out.push(...all.filter((p) => p.ppid === out[i]!.pid));
  return out;
}

if (process.getuid?.() === 0) {
  describe('rootless ssh account (run as root: the same file as the rootless user)', () => {
    it('passes as hiy through scripts/test-rootless.sh', { timeout: 900_000 }, async () => {
      const file = relative(REPO, fileURLToPath(import.meta.url));
      const r = await execa('bash', ['scripts/test-rootless.sh', file], {
        cwd: REPO,
        reject: false,
        all: true,
      });
      assert.equal(r.exitCode, 0, r.all);
      assert.match(String(r.all), /ℹ pass [1-9]/);
      assert.match(String(r.all), /ℹ fail 0/);
    });
  });
} else {
  describe("hiy ssh-account, rootless: git push over ssh as HIY's own user, no sudo", {
    timeout: 900_000,
  }, () => {
    const me = userInfo().username;
    const uid = process.getuid?.() ?? -1;
    let base: string;
    let home: string;
    let keysFile: string;
    let wrapper: string;
    let sshd: RunningSshd;
    let h: Harness;
    let alice: ClientKey;
    let dave: ClientKey;
    let src: string;
    const setup = (...extra: string[]) =>
      h.hiy(['ssh-account', '--home', home, ...extra], { HIY_SELF: JSON.stringify(testSelfCommand()) });

    before(async () => {
      // Below the user's own home: sshd's StrictModes checks every directory from the keys up to it.
      base = await mkdtemp(join(homedir(), '.hiy-test-account-'));
      home = join(base, 'home');
      keysFile = join(home, '.ssh', 'authorized_keys');
      wrapper = join(home, '.local', 'libexec', 'hiy', 'git-shell');
      sshd = await startSshd({ user: me, authorizedKeysFile: keysFile });
      [alice, dave] = await Promise.all([sshd.newKey('alice'), sshd.newKey('dave')]);
      h = await startHarness({ 'users.yaml': userYaml('alice', alice), 'apps.yaml': APP });
      src = join(h.root, 'site');
      await makeRepo(src, { Containerfile: webContainerfile('rootless push') });
    });

    after(async () => {
      await sshd?.stop();
      await h?.cleanup(); // containers, volumes, networks and the images built for this instance
      if (base) await rm(base, { recursive: true, force: true });
    });

    it('--dry-run: rootless mode (HIY runs unprivileged), keys forced to WRAPPER USER, no sudo; nothing written', async () => {
      const r = await setup('--dry-run', '--json');
      assert.equal(r.code, 0, r.err);
      const out = JSON.parse(r.out) as {
        mode: string;
        account: { user: string; wrapper: string; sudoers?: string };
        files: { wrapper: string; keys: string; sudoers?: string };
      };
      assert.equal(out.mode, 'rootless');
      assert.deepEqual(
        [out.account.user, out.account.wrapper, out.account.sudoers],
        [me, wrapper, undefined],
      );
      assert.equal(out.files.sudoers, undefined);
      assert.match(out.files.keys, new RegExp(`^restrict,pty,command="${wrapper} alice" ssh-ed25519 `, 'm'));
      assert.doesNotMatch(`${out.files.keys}${out.files.wrapper}`, /sudo -n|\/sudo\b/);
      const text = await setup('--dry-run');
      assert.equal(text.code, 0, text.err);
      assert.match(text.out, /^# mode rootless: .*no sudo/);
      assert.equal(existsSync(home), false);
    });

    it("writes the user's own authorized_keys (600) and wrapper (700), no sudoers rule", async () => {
      const r = await setup('--json');
      assert.equal(r.code, 0, r.err);
      const out = JSON.parse(r.out) as {
        mode: string;
        uid: number;
        keys: number;
        account: { sudoers?: string };
      };
      assert.deepEqual([out.mode, out.uid, out.keys, out.account.sudoers], ['rootless', uid, 1, undefined]);
      const modes = async (p: string) => {
        const s = await stat(p);
        return { uid: s.uid, mode: (s.mode & 0o777).toString(8) };
      };
      assert.deepEqual(await modes(keysFile), { uid, mode: '600' });
      assert.deepEqual(await modes(join(home, '.ssh')), { uid, mode: '700' });
      assert.deepEqual(await modes(wrapper), { uid, mode: '700' });
      const keys = await readFile(keysFile, 'utf8');
      assert.match(keys, new RegExp(`^restrict,pty,command="${wrapper} alice" ssh-ed25519 `, 'm'));
      const script = await readFile(wrapper, 'utf8');
      assert.ok(script.includes(h.dataDir) && script.includes(h.instance), script);
      // HOME is the user's own (where its Podman store and config are), not the --home of the keys.
      assert.ok(script.includes(` HOME=${homedir()} `), script);
      assert.doesNotMatch(script, /sudo -n|\/sudo\b|HOME=\/root/);
    });

    it('a key pushes over ssh: built, deployed, served through Caddy; no process of the push or the App is root', async () => {
      const sshdPid = Number((await readFile(join(sshd.dir, 'sshd.pid'), 'utf8')).trim());
      const seen = new Map<number, Proc>();
      let pushing = true;
      const watch = (async () => {
        while (pushing) {
          for (const p of descendants(await processes(), [sshdPid])) seen.set(p.pid, p);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      const r = await sshd.git(alice, src, ['push', sshd.url('site'), 'main']).finally(() => {
        pushing = false;
      });
      await watch;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /-----> Building app\/site/);
      assert.match(r.stderr, /-----> Deployed app\/site/);
      assert.equal((await h.get('site.test')).body.trim(), 'rootless push');
      assert.match(await sshd.log(), new RegExp(`Accepted publickey for ${me}`));

      // The push ran through the wrapper into hiy git-shell and its hook, all as this user.
      const push = [...seen.values()].filter((p) => p.pid !== sshdPid);
      const list = push.map((p) => `${p.user} ${p.args}`).join('\n');
      for (const what of [/git-shell alice$/, /git-hook pre-receive$/, /^podman build /]) {
        assert.ok(
          push.some((p) => what.test(p.args)),
          `${what} not seen under the sshd:\n${list}`,
        );
      }
      assert.deepEqual([...new Set(push.map((p) => p.user))], [me], list);
      // What runs now: this test's sshd and Caddy, and the App's container (conmon and its processes).
      const inspect = await execa('podman', [
        'ps',
        '--filter',
        `label=${LABEL_INSTANCE}=${h.instance}`,
        '--format',
        '{{.ID}}',
      ]);
      const ids = inspect.stdout.split('\n').filter(Boolean);
      assert.ok(ids.length > 0, 'the App runs');
      const pids = (
        await execa('podman', ['inspect', '--format', '{{.State.Pid}} {{.State.ConmonPid}}', ...ids])
      ).stdout
        .split(/\s+/)
        .map(Number)
        .filter((p) => p > 0);
      const all = await processes();
      const running = descendants(all, [process.pid, ...pids]);
      assert.ok(
        running.some((p) => /\bcaddy run\b/.test(p.args)),
        'Caddy is among them',
      );
      assert.ok(
        running.some((p) => /\bconmon\b/.test(p.args)),
        'conmon is among them',
      );
      // A process that ended in between is left out by ps (exit 1); the others are listed.
      const users = await execa('ps', ['-o', 'user:32=', '-p', running.map((p) => p.pid).join(',')], {
        reject: false,
      });
      const names = users.stdout
        .split('\n')
        .map((u) => u.trim())
        .filter(Boolean);
      assert.ok(names.length > 0);
      assert.ok(!names.includes('root'), running.map((p) => `${p.user} ${p.args}`).join('\n'));
    });

    it('the keys stay restricted: a command other than git is refused by git-shell', async () => {
      const shell = await sshd.ssh(alice, ['sh -c id']);
      assert.notEqual(shell.code, 0);
      assert.match(shell.stderr, /hiy: refused/);
      assert.doesNotMatch(shell.stdout, /uid=/);
    });

    it('every apply keeps the keys current (as the user, mode 600): a new User reads, a removed one is refused', async () => {
      await h.commit({ 'users.yaml': userYaml('dave', dave) });
      const applied = await h.hiy(['apply']);
      assert.equal(applied.code, 0, applied.err);
      const keys = await readFile(keysFile, 'utf8');
      assert.match(keys, / dave" ssh-ed25519 /);
      assert.doesNotMatch(keys, / alice" /);
      assert.equal(((await stat(keysFile)).mode & 0o777).toString(8), '600');
      const daveReads = await sshd.git(dave, src, ['ls-remote', sshd.url('site')]);
      assert.equal(daveReads.code, 0, daveReads.stderr);
      const aliceNow = await sshd.git(alice, src, ['ls-remote', sshd.url('site')]);
      assert.notEqual(aliceNow.code, 0);
      assert.match(aliceNow.stderr, /Permission denied \(publickey\)/);
    });

    it('never overwrites an authorized_keys HIY did not write', async () => {
      const other = join(base, 'other');
      const own = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwn me@laptop\n';
      await mkdir(join(other, '.ssh'), { recursive: true, mode: 0o700 });
      await writeFile(join(other, '.ssh', 'authorized_keys'), own, { mode: 0o600 });
      const r = await h.hiy(['ssh-account', '--home', other]);
      assert.notEqual(r.code, 0);
      assert.match(r.err, /holds keys HIY did not write/);
      assert.equal(await readFile(join(other, '.ssh', 'authorized_keys'), 'utf8'), own);
      assert.equal(existsSync(join(other, '.local')), false);
    });

    it('--remove deletes the keys, the wrapper and the directories it made; applies stop writing keys', async () => {
      const r = await setup('--remove', '--json');
      assert.equal(r.code, 0, r.err);
      const out = JSON.parse(r.out) as { mode: string; removed: string[]; directories: string[] };
      assert.equal(out.mode, 'rootless');
      assert.deepEqual(out.removed.sort(), [keysFile, wrapper].sort());
      assert.ok(out.directories.includes(join(home, '.ssh')), JSON.stringify(out));
      assert.equal(existsSync(home), false, 'every directory it made was empty and is gone');
      const applied = await h.hiy(['apply']);
      assert.equal(applied.code, 0, applied.err);
      assert.equal(existsSync(keysFile), false);
    });
  });
}
