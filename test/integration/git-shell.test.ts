// hiy git-shell behind a real sshd: hostile repository names and commands, port forwarding and shells are
// refused with one clear line and a non-zero exit, and touch nothing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness } from '../support/hiy.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand } from '../support/sshd.js';

async function listTree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    out.push(relative(dir, join(e.parentPath ?? (e as { path: string }).path, e.name)));
  }
  return out.sort();
}

async function auditLinesOf(dataDir: string): Promise<Record<string, unknown>[]> {
  const file = join(dataDir, 'audit.log');
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('hiy git-shell refuses everything but git push/fetch of allowed repositories', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let alice: ClientKey;
  let stranger: ClientKey;
  let marker: string;
  const auditLines = () => auditLinesOf(h.dataDir);

  before(async () => {
    sshd = await startSshd();
    alice = await sshd.newKey('alice');
    stranger = await sshd.newKey('stranger');
    h = await startHarness({
      'users.yaml': `apiVersion: hiy/v1
kind: User
metadata:
  name: alice
spec:
  sshKeys:
    - ${alice.publicKey}
  grants:
    - app: site
      role: deploy
`,
      'site.yaml': `apiVersion: hiy/v1
kind: App
metadata:
  name: site
spec:
  source:
    repo: site
  routes:
    - host: site.test
      port: 8080
`,
    });
    const r = await h.hiy(['authorized-keys', '--out', sshd.authorizedKeysFile], {
      HIY_SELF: JSON.stringify(testSelfCommand()),
    });
    assert.equal(r.code, 0, r.err);
    marker = join(h.root, 'pwned');
  });

  after(async () => {
    await sshd?.stop();
    await h?.cleanup();
  });

  const hostile: [string, string, RegExp][] = [
    [
      'a parent directory',
      "git-receive-pack '../x'",
      /^hiy: refused repository "\.\.\/x": a repository is an app name/,
    ],
    ['a path through parents', "git-receive-pack 'a/../../b'", /^hiy: refused repository "a\/\.\.\/\.\.\/b"/],
    ['an absolute path', "git-upload-pack '/etc/passwd'", /^hiy: refused repository "\/etc\/passwd"/],
    [
      'an option as a name',
      "git-upload-pack '-oProxyCommand=x'",
      /^hiy: refused repository "-oProxyCommand=x"/,
    ],
    [
      'a 300-character name',
      `git-receive-pack '${'a'.repeat(300)}'`,
      /^hiy: refused: the command is too long \(319 characters\)$/,
    ],
    [
      'a shell command',
      `sh -c 'touch MARKER'`,
      /^hiy: refused "sh -c 'touch .*": only git push and git fetch/,
    ],
    [
      'a command after a push',
      `git-receive-pack 'site'; touch MARKER`,
      /^hiy: refused "git-receive-pack 'site'; touch .*": only git push/,
    ],
    [
      'another git command',
      `git-upload-archive 'site'`,
      /^hiy: refused "git-upload-archive 'site'": only git push/,
    ],
    [
      'an unknown repository',
      `git-receive-pack 'other'`,
      /^hiy: refused: no App is built from repository other/,
    ],
  ];

  for (const [what, command, message] of hostile) {
    it(`refuses ${what} and touches nothing`, async () => {
      const before = await listTree(h.dataDir);
      const audited = await auditLines();
      const r = await sshd.ssh(alice, [command.replace('MARKER', marker)]);
      assert.notEqual(r.code, 0);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, message);
      const notAudit = (paths: string[]) => paths.filter((p) => p !== 'audit.log');
      assert.deepEqual(notAudit(await listTree(h.dataDir)), notAudit(before));
      assert.equal(existsSync(marker), false);
      // A request that parses is refused by its grant and audited; anything else is refused before the disk.
      const added = (await auditLines()).slice(audited.length);
      if (what === 'an unknown repository') {
        assert.equal(added.length, 1);
        assert.deepEqual(
          { ...added[0], at: undefined, detail: undefined },
          {
            at: undefined,
            actor: 'alice',
            via: 'ssh',
            action: 'git.push',
            target: 'other',
            result: 'denied',
            detail: undefined,
          },
        );
      } else assert.deepEqual(added, []);
    });
  }

  it('refuses an interactive login', async () => {
    const r = await sshd.ssh(alice, ['-T']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr.trim(), /^hiy: interactive logins are refused/);
  });

  it('refuses port forwarding (the key is restricted)', async () => {
    const r = await sshd.ssh(alice, ['-W', `127.0.0.1:${h.caddy.httpPort}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /stdio forwarding failed|administratively prohibited/);
    assert.match(await sshd.log(), /refused local port forward/);
  });

  it('refuses a key that is not a User key', async () => {
    const r = await sshd.ssh(stranger, ["git-upload-pack 'site'"]);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /Permission denied/);
  });

  it('lets the same key fetch an allowed repository (which does not exist before its first push)', async () => {
    const r = await sshd.git(alice, h.root, ['ls-remote', sshd.url('site')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /hiy: refused: repository site is empty: push to it first/);
    assert.equal(existsSync(join(h.dataDir, 'repos', 'site.git')), false);
  });
});
