// git push deploys: a real sshd on a loopback port with keys from `hiy authorized-keys`, real git clients,
// builds on push (Dockerfile and detected stacks), failures that reject the push, grants, state pushes, the queue.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { recordPendingPush } from '../../src/desired/pendingPushes.js';
import { tryAcquireSlot } from '../../src/push/buildQueue.js';
import { git, type Harness, makeRepo, startHarness, webContainerfile } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

const NODE_IMAGE = 'localhost/hiy/node:20';
const RUNTIME_BUILD = new URL('../../images/runtime/build.sh', import.meta.url).pathname;

function app(name: string, port = 8080): string {
  return `apiVersion: hiy/v1
kind: App
metadata:
  name: ${name}
spec:
  source:
    repo: ${name}
    branch: main
  routes:
    - host: ${name}.test
      port: ${port}
  healthcheck:
    http: { path: /, port: ${port} }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
`;
}

describe('git push to HIY over ssh', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let alice: ClientKey;
  let bob: ClientKey;
  let carol: ClientKey;
  let work: string;
  const self = JSON.stringify(testSelfCommand());

  /** Writes sshd's authorized_keys from the state repo, as a real server's AuthorizedKeysCommand would. */
  async function refreshKeys(): Promise<void> {
    const r = await h.hiy(['authorized-keys', '--out', sshd.authorizedKeysFile], { HIY_SELF: self });
    assert.equal(r.code, 0, r.err);
  }

  async function push(key: ClientKey, dir: string, repo: string, ref = 'main') {
    return sshd.git(key, dir, ['push', '--porcelain', sshd.url(repo), ref]);
  }

  async function commitFiles(dir: string, files: Record<string, string>, message: string): Promise<string> {
    for (const [p, text] of Object.entries(files)) await writeFile(join(dir, p), text);
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-qm', message]);
    return git(dir, ['rev-parse', 'HEAD']);
  }

  before(async () => {
    await execa(RUNTIME_BUILD, ['node', NODE_IMAGE]);
    sshd = await startSshd();
    [alice, bob, carol] = await Promise.all([sshd.newKey('alice'), sshd.newKey('bob'), sshd.newKey('carol')]);
    h = await startHarness({
      'users.yaml': [
        userYaml('alice', alice, [
          { app: 'site', role: 'deploy' },
          { app: 'www', role: 'deploy' },
          { app: 'api', role: 'deploy' },
        ]),
        userYaml('bob', bob, [{ app: 'site', role: 'view' }]),
        userYaml('carol', carol, [{ app: '*', role: 'admin' }]),
      ].join('---\n'),
      'apps.yaml': [app('site'), app('www'), app('api')].join('---\n'),
    });
    await refreshKeys();
    work = join(h.root, 'work');
  });

  after(async () => {
    await sshd?.stop();
    await h?.cleanup(); // containers, volumes, secrets and the images built for this instance
  });

  it('authorized_keys forces every key to git-shell with restrict, carrying every setting', async () => {
    const text = await readFile(sshd.authorizedKeysFile, 'utf8');
    const lines = text.split('\n').filter((l) => l.startsWith('restrict'));
    assert.equal(lines.length, 3);
    for (const l of lines) {
      assert.match(
        l,
        /^restrict,pty,command="\/usr\/bin\/env .*HIY_DATA_DIR=.* git-shell (alice|bob|carol)" ssh-ed25519 /,
      );
      assert.ok(l.includes(h.stateDir) && l.includes(h.dataDir) && l.includes(h.instance), l);
    }
  });

  it('a user with deploy pushes a Dockerfile app: the build streams into the push, then it answers through Caddy', async () => {
    await makeRepo(join(work, 'site'), { Dockerfile: webContainerfile('v1') });
    const r = await push(alice, join(work, 'site'), 'site');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /remote: -----> site: main [0-9a-f]{12} pushed by alice/);
    assert.match(r.stderr, /remote: -----> Building app\/site/);
    assert.match(r.stderr, /remote: .*│ STEP 1\/\d+: FROM localhost\/hiy\/busybox/);
    assert.match(r.stderr, /remote: -----> Deploying/);
    assert.match(r.stderr, /remote: -----> Deployed app\/site: http:\/\/site\.test\//);
    assert.ok(existsSync(join(h.dataDir, 'repos', 'site.git', 'HEAD')));
    assert.equal((await h.get('site.test')).body.trim(), 'v1');
  });

  it('a second push upgrades it, and its build log is kept per release', async () => {
    const commit = await commitFiles(join(work, 'site'), { Dockerfile: webContainerfile('v2') }, 'v2');
    const r = await push(alice, join(work, 'site'), 'site');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await h.get('site.test')).body.trim(), 'v2');
    const log = await readFile(join(h.dataDir, 'builds', 'site', `${commit.slice(0, 12)}.log`), 'utf8');
    assert.match(log, /STEP 1\/\d+/);
    assert.match(log, /# build succeeded/);
    const releases = JSON.parse((await h.hiy(['releases', 'site', '--json'])).out);
    assert.ok(releases.releases.some((rel: { image: string }) => rel.image.endsWith(commit.slice(0, 12))));
  });

  it('a deployed push counts until git moves its branch: a reconcile in between keeps the pushed commit', async () => {
    const bare = join(h.dataDir, 'repos', 'site.git');
    const pushed = await git(bare, ['rev-parse', 'main']);
    const previous = await git(bare, ['rev-parse', 'main~1']);
    // The moment after pre-receive deployed `pushed` and before git moves the branch: it still names `previous`.
    await git(bare, ['update-ref', 'refs/heads/main', previous]);
    const receivePack = spawn('sleep', ['60'], { stdio: 'ignore' }); // stands for the git-receive-pack still running
    try {
      await recordPendingPush(h.dataDir, {
        gitDir: bare,
        branch: 'main',
        commit: pushed,
        pid: receivePack.pid!,
      });
      const siteActions = async () => {
        const r = await h.hiy(['plan', '--json']);
        assert.equal(r.code, 0, r.err);
        return (JSON.parse(r.out) as { actions: { resource: string }[] }).actions.filter(
          (a) => a.resource === 'app/site',
        );
      };
      assert.deepEqual(await siteActions(), []);
      // receive-pack ended without moving the branch (a rejected push): the branch's commit counts again.
      receivePack.kill();
      await once(receivePack, 'exit');
      assert.ok((await siteActions()).length > 0);
      assert.deepEqual(await readdir(join(h.dataDir, 'pushes')), []);
    } finally {
      receivePack.kill();
      await git(bare, ['update-ref', 'refs/heads/main', pushed]);
    }
  });

  it('a push whose build fails exits non-zero, the branch does not move and the old version answers', async () => {
    const before = (await git(join(h.dataDir, 'repos', 'site.git'), ['rev-parse', 'main'])).trim();
    await commitFiles(join(work, 'site'), { Dockerfile: webContainerfile('v3', 'RUN exit 7') }, 'broken');
    const r = await push(alice, join(work, 'site'), 'site');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /remote: {2}! +build of app\/site FAILED/);
    assert.match(r.stdout, /\[remote rejected\] \(pre-receive hook declined\)/);
    assert.equal(await git(join(h.dataDir, 'repos', 'site.git'), ['rev-parse', 'main']), before);
    assert.equal((await h.get('site.test')).body.trim(), 'v2');
  });

  it('a push whose new version never becomes healthy is rejected and the old version keeps serving', async () => {
    await git(join(work, 'site'), ['reset', '-q', '--hard', 'HEAD~1']);
    await commitFiles(
      join(work, 'site'),
      { Dockerfile: webContainerfile('v4').replace('"8080"', '"9999"') },
      'listens on the wrong port',
    );
    const r = await push(alice, join(work, 'site'), 'site');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deploy FAILED: the previous version keeps running; push rejected/);
    assert.equal((await h.get('site.test')).body.trim(), 'v2');
    await git(join(work, 'site'), ['reset', '-q', '--hard', 'HEAD~1']);
  });

  it('a user without the deploy grant is refused, and may still fetch with view', async () => {
    const r = await push(bob, join(work, 'site'), 'site');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /hiy: refused: bob has no deploy grant on App site/);
    const clone = await sshd.git(bob, h.root, ['clone', '-q', sshd.url('site'), join(h.root, 'bob-site')]);
    assert.equal(clone.code, 0, clone.stderr);
    assert.match(await readFile(join(h.root, 'bob-site', 'Dockerfile'), 'utf8'), /v2/);
    const other = await push(bob, join(work, 'site'), 'www');
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /hiy: refused: bob has no deploy grant on App www/);
    assert.equal(existsSync(join(h.dataDir, 'repos', 'www.git')), false);
  });

  it('a static site without Dockerfile is detected and built', async () => {
    await makeRepo(join(work, 'www'), { 'index.html': 'static ok\n' });
    const r = await push(alice, join(work, 'www'), 'www');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no Containerfile: detected static site \(index\.html\)/);
    assert.equal((await h.get('www.test')).body.trim(), 'static ok');
  });

  it('a Node.js app without Dockerfile is detected and built on the configured base image', async () => {
    await makeRepo(join(work, 'api'), {
      'package.json': JSON.stringify({ name: 'api', scripts: { start: 'node server.js' } }),
      'server.js': `require('node:http').createServer((q, s) => s.end('node ' + process.version)).listen(process.env.PORT);\n`,
    });
    const r = await push(alice, join(work, 'api'), 'api');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /detected Node\.js \(package\.json\), start script: node server\.js/);
    assert.match(r.stderr, new RegExp(`FROM ${NODE_IMAGE}`));
    assert.equal((await h.get('api.test')).body.trim(), `node ${process.version}`);
  });

  it('an admin pushes the state repo: an invalid one is rejected with its diagnostics, a valid one applied', async () => {
    const dir = join(h.root, 'carol-state');
    const clone = await sshd.git(carol, h.root, ['clone', '-q', sshd.url('state'), dir]);
    assert.equal(clone.code, 0, clone.stderr);
    const head = await git(h.stateDir, ['rev-parse', 'HEAD']);
    await writeFile(
      join(dir, 'broken.yaml'),
      'apiVersion: hiy/v1\nkind: App\nmetadata:\n  name: Bad_Name\nspec:\n  sourc: {}\n',
    );
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-qm', 'broken']);
    const bad = await push(carol, dir, 'state');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /remote: {2}! +error: broken\.yaml:4:\d+: metadata\.name: /);
    assert.match(bad.stderr, /remote: {2}! +error: broken\.yaml:\d+:\d+: .*sourc/);
    assert.match(bad.stderr, /push rejected: nothing was applied/);
    assert.equal(await git(h.stateDir, ['rev-parse', 'HEAD']), head);

    await git(dir, ['reset', '-q', '--hard', 'HEAD~1']);
    await writeFile(join(dir, 'apps.yaml'), [app('site'), app('www')].join('---\n'));
    await git(dir, ['commit', '-qam', 'retire api']);
    const good = await push(carol, dir, 'state');
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stderr, /remote: -----> Validating state [0-9a-f]{12} pushed by carol/);
    assert.match(good.stderr, /remote: -----> State applied/);
    // Caddy answers an unrouted host with an empty 200.
    assert.equal((await h.get('api.test')).body, '');
    assert.equal((await h.get('site.test')).body.trim(), 'v2');
    // A non-admin cannot push the state repo.
    const denied = await push(alice, dir, 'state');
    assert.match(denied.stderr, /hiy: refused: pushing the state repo needs the admin role on "\*"/);
  });

  it('builds queue one at a time, and a newer push to the same app supersedes one still queued', async () => {
    // The test holds the only build slot, as a running build would.
    const slot = await tryAcquireSlot(h.dataDir, 1, 'test');
    assert.ok(slot);
    const site = join(work, 'site');
    await commitFiles(site, { Dockerfile: webContainerfile('v5') }, 'v5');
    const first = push(alice, site, 'site');
    const queue = join(h.dataDir, 'builds', 'queue');
    await waitFor(async () => (await readdir(queue)).filter((f) => f.endsWith('.json')).length === 1, {
      timeoutMs: 30_000,
      what: 'the first push queued',
    });
    const site2 = join(h.root, 'site2');
    await execa('git', ['clone', '-q', site, site2]);
    await commitFiles(site2, { Dockerfile: webContainerfile('v6') }, 'v6');
    const second = sshd.git(alice, site2, ['push', '--force', sshd.url('site'), 'main']);
    // The first push waits for the slot until the second one arrives and supersedes it.
    const r1 = await first;
    assert.notEqual(r1.code, 0);
    assert.match(r1.stderr, /superseded by a newer push to site/);
    await slot.release();
    const r2 = await second;
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal((await h.get('site.test')).body.trim(), 'v6');
  });
});
