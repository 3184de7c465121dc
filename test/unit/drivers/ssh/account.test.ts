// The dedicated ssh account's files: the forced command, the wrapper that sudo runs, the sudoers rule. Pure.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ACCOUNT_NAME,
  accountForcedCommand,
  chooseAccountMode,
  isPlainPath,
  renderSudoers,
  renderWrapper,
} from '../../../../src/drivers/ssh/account.js';
import { AuthorizedKeysError } from '../../../../src/drivers/ssh/authorizedKeys.js';

const account = { user: 'hiy', wrapper: '/usr/local/libexec/hiy/hiy-git-shell', sudo: '/usr/bin/sudo' };

/** Runs the wrapper with `sh` and an `env` stand-in that prints its arguments, one per line. */
function runWrapper(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): { code: number; out: string; err: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hiy-wrapper-'));
  try {
    const file = join(dir, 'w');
    writeFileSync(file, script.replace('exec /usr/bin/env ', `exec ${join(dir, 'env')} `));
    writeFileSync(join(dir, 'env'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', {
      mode: 0o755,
    });
    try {
      const out = execFileSync('/bin/sh', [file, ...args], {
        env: { PATH: '/usr/bin:/bin', ...env },
        stdio: 'pipe',
      });
      return { code: 0, out: out.toString(), err: '' };
    } catch (err) {
      const e = err as { status: number; stdout: Buffer; stderr: Buffer };
      return { code: e.status, out: e.stdout.toString(), err: e.stderr.toString() };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('ssh account files', () => {
  it('forces every key to sudo -n WRAPPER USER, with no setting in the line', () => {
    assert.equal(
      accountForcedCommand(account, 'alice'),
      '/usr/bin/sudo -n /usr/local/libexec/hiy/hiy-git-shell alice',
    );
  });

  it('the wrapper passes exactly the user, a fresh environment with the settings, and the session variables', () => {
    const script = renderWrapper({
      env: { HIY_DATA_DIR: '/var/lib/hiy', HIY_STATE: "/srv/state with 'quotes'" },
      argv: ['/usr/bin/node', '/opt/hiy/bin/hiy.js'],
    });
    const r = runWrapper(script, ['alice'], {
      SSH_ORIGINAL_COMMAND: "git-receive-pack 'site'",
      HIY_DATA_DIR: '/tmp/x',
    });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split('\n'), [
      '-i',
      "SSH_ORIGINAL_COMMAND=git-receive-pack 'site'",
      'SSH_CLIENT=',
      'HIY_DATA_DIR=/var/lib/hiy',
      "HIY_STATE=/srv/state with 'quotes'",
      'HOME=/root',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '/usr/bin/node',
      '/opt/hiy/bin/hiy.js',
      'git-shell',
      'alice',
    ]);
  });

  it('rootless, every key runs the wrapper itself (no sudo); records without a mode are root', () => {
    assert.equal(
      accountForcedCommand({ mode: 'rootless', wrapper: '/home/hiy/.local/libexec/hiy/git-shell' }, 'alice'),
      '/home/hiy/.local/libexec/hiy/git-shell alice',
    );
    assert.equal(
      accountForcedCommand({ mode: 'root', ...account }, 'alice'),
      accountForcedCommand(account, 'alice'),
    );
  });

  it("the mode follows the user HIY runs as (the data directory's owner), unless asked", () => {
    const choose = (privileged: boolean, dataDirOwner: number | undefined, requested?: 'root' | 'rootless') =>
      chooseAccountMode({ requested, privileged, dataDirOwner });
    assert.equal(choose(true, 0), 'root');
    assert.equal(choose(true, undefined), 'root');
    assert.equal(choose(true, 999), 'rootless', 'root, but HIY runs as uid 999');
    assert.equal(choose(false, 999), 'rootless');
    assert.equal(choose(false, 0), 'rootless', 'uid 0 inside podman unshare is not root');
    assert.equal(choose(true, 0, 'rootless'), 'rootless');
    assert.equal(choose(false, 999, 'root'), 'root');
  });

  it("the rootless wrapper has the account's own HOME and says it runs without sudo", () => {
    const script = renderWrapper({
      env: { HIY_DATA_DIR: '/home/hiy/.local/share/hiy', XDG_RUNTIME_DIR: '/run/user/999' },
      argv: ['/usr/bin/node', '/opt/hiy/bin/hiy.js'],
      mode: 'rootless',
      home: '/home/hiy',
    });
    const r = runWrapper(script, ['alice']);
    assert.equal(r.code, 0, r.err);
    const words = r.out.trim().split('\n');
    assert.ok(words.includes('HOME=/home/hiy'), r.out);
    assert.ok(words.includes('XDG_RUNTIME_DIR=/run/user/999'), r.out);
    assert.ok(!words.includes('HOME=/root'), r.out);
    assert.match(script, /no sudo/);
  });

  it('the wrapper refuses flags, odd names, no argument and extra arguments', () => {
    const script = renderWrapper({ env: {}, argv: ['/usr/bin/node', '/opt/hiy/bin/hiy.js'] });
    for (const args of [
      ['--data-dir=/tmp'],
      ['-x'],
      ['a b'],
      ['$(id)'],
      ['Alice'],
      [''],
      [],
      ['alice', 'bob'],
    ]) {
      const r = runWrapper(script, args);
      assert.equal(r.code, 1, JSON.stringify(args));
      assert.equal(r.out, '', JSON.stringify(args));
      assert.match(r.err, /^hiy: /);
    }
  });

  it('refuses settings that cannot be written into the wrapper', () => {
    assert.throws(() => renderWrapper({ env: { HIY_STATE: 'a\nb' }, argv: ['node'] }), AuthorizedKeysError);
    assert.throws(() => renderWrapper({ env: { 'bad name': 'x' }, argv: ['node'] }), AuthorizedKeysError);
  });

  it('the sudoers rule names the account and the wrapper only, and keeps the session variables', () => {
    const text = renderSudoers(account);
    assert.match(
      text,
      /^Defaults!\/usr\/local\/libexec\/hiy\/hiy-git-shell env_keep \+= "SSH_ORIGINAL_COMMAND SSH_CLIENT"$/m,
    );
    assert.match(text, /^hiy ALL=\(root\) NOPASSWD: \/usr\/local\/libexec\/hiy\/hiy-git-shell$/m);
    assert.equal(text.split('\n').filter((l) => l && !l.startsWith('#')).length, 2);
  });

  it('accepts plain account names and paths only', () => {
    for (const ok of ['hiy', 'git_deploy', 'h-1']) assert.ok(ACCOUNT_NAME.test(ok), ok);
    for (const bad of ['root:x', 'Hiy', '-hiy', 'a'.repeat(33), 'a b'])
      assert.ok(!ACCOUNT_NAME.test(bad), bad);
    for (const ok of ['/usr/local/libexec/hiy/x', '/home/hiy']) assert.ok(isPlainPath(ok), ok);
    for (const bad of ['relative', '/a/../etc', '/a b', '/a,b', '/a:b', '/a\\b'])
      assert.ok(!isPlainPath(bad), bad);
  });
});
