// The README's root variant: a second sshd whose AuthorizedKeysCommand is `hiy authorized-keys`, so keys follow
// the state repo's head with no file written. Real sshd, real keys, the script in a root-owned directory.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shellQuote } from '../../src/drivers/ssh/authorizedKeys.js';
import { type Harness, startHarness } from '../support/hiy.js';
import { type ClientKey, type RunningSshd, startSshd, testSelfCommand, userYaml } from '../support/sshd.js';

describe('sshd AuthorizedKeysCommand = hiy authorized-keys', () => {
  let h: Harness;
  let sshd: RunningSshd;
  let dir: string;
  let alice: ClientKey;
  let dave: ClientKey;

  before(async () => {
    // sshd refuses a command in a directory writable by others (such as /tmp): /run is root's, mode 755.
    dir = await mkdtemp('/run/hiy-akc-');
    await chmod(dir, 0o755);
    const script = join(dir, 'hiy-authorized-keys');
    h = await startHarness({});
    const settings = [
      'HIY_STATE',
      'HIY_DATA_DIR',
      'HIY_CADDY_ADMIN',
      'HIY_INSTANCE',
      'HIY_TLS',
      'HIY_HTTP_ADDR',
    ]
      .map((k) => shellQuote(`${k}=${h.env[k]}`))
      .join(' ');
    const self = testSelfCommand().map(shellQuote).join(' ');
    await writeFile(
      script,
      `#!/bin/sh\nexec /usr/bin/env HIY_LOG_LEVEL=silent ${shellQuote(`HIY_SELF=${JSON.stringify(testSelfCommand())}`)} ${settings} ${self} authorized-keys\n`,
      { mode: 0o755 },
    );
    sshd = await startSshd({ authorizedKeysCommand: script });
    [alice, dave] = await Promise.all([sshd.newKey('alice'), sshd.newKey('dave')]);
    await h.commit({ 'users.yaml': userYaml('alice', alice) });
  });

  after(async () => {
    await sshd?.stop();
    await h?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** A key sshd accepts reaches git-shell, which refuses a shell command with its own one-line message. */
  async function reachesGitShell(key: ClientKey): Promise<boolean> {
    const r = await sshd.ssh(key, ['sh -c id']);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /uid=/);
    if (/Permission denied \(publickey\)/.test(r.stderr)) return false;
    assert.match(r.stderr, /^hiy: refused/m, r.stderr);
    return true;
  }

  it('a User key logs in only into git-shell; a key of no User is refused by sshd', async () => {
    assert.equal(await reachesGitShell(alice), true);
    assert.equal(await reachesGitShell(dave), false);
  });

  it('keys follow the state repo head at once: a User added or removed, with nothing written', async () => {
    await h.commit({ 'users.yaml': userYaml('dave', dave) });
    assert.equal(await reachesGitShell(dave), true);
    assert.equal(await reachesGitShell(alice), false);
  });
});
