// The strict parser of SSH_ORIGINAL_COMMAND: only git-receive-pack / git-upload-pack on a DNS-label name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGitCommand } from '../../../../src/drivers/ssh/gitCommand.js';

describe('parseGitCommand', () => {
  it('accepts the forms git sends for ssh://host/NAME and host:NAME, with .git and a trailing /', () => {
    for (const [cmd, service, repo] of [
      ["git-receive-pack '/site'", 'git-receive-pack', 'site'],
      ["git-receive-pack 'site'", 'git-receive-pack', 'site'],
      ["git-upload-pack '/site.git'", 'git-upload-pack', 'site'],
      ["git-upload-pack 'my-app-2/'", 'git-upload-pack', 'my-app-2'],
      ["git-receive-pack '/state'", 'git-receive-pack', 'state'],
    ] as const) {
      assert.deepEqual(parseGitCommand(cmd), { ok: true, request: { service, repo } }, cmd);
    }
  });

  it('refuses everything else', () => {
    for (const cmd of [
      "git-receive-pack '../x'",
      "git-receive-pack 'a/../../b'",
      "git-receive-pack '/a/b'",
      "git-upload-pack '-oProxyCommand=x'",
      "git-upload-pack '-site'",
      `git-receive-pack '${'a'.repeat(64)}'`,
      "git-receive-pack 'Site'",
      "git-receive-pack 'site' extra",
      'git-receive-pack site',
      'git-receive-pack "site"',
      "git-receive-pack 'si'te'",
      "git-receive-pack 'site'\n",
      "git-receive-pack  'site'",
      "git-upload-archive 'site'",
      "git receive-pack 'site'",
      "sh -c 'id'",
      'scp -t /tmp',
      "git-receive-pack ''",
      "git-receive-pack '.git'",
    ]) {
      const r = parseGitCommand(cmd);
      assert.equal(r.ok, false, cmd);
    }
  });

  it('refuses an interactive login and over-long commands without quoting them whole', () => {
    const none = parseGitCommand(undefined);
    assert.ok(!none.ok && /interactive logins are refused/.test(none.reason));
    const long = parseGitCommand(`git-receive-pack '${'a'.repeat(300)}'`);
    assert.ok(!long.ok && long.reason.length < 100, !long.ok ? long.reason : '');
  });
});
