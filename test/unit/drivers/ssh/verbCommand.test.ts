// The SSH verbs' parser: strict grammar per verb, shell syntax and anything unknown refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVerbCommand, parseVerbCommand, splitWords } from '../../../../src/drivers/ssh/verbCommand.js';

const ok = (command: string) => {
  const r = parseVerbCommand(command);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return { ...r.request, role: r.spec.role, pty: r.spec.pty };
};
const refused = (command: string) => {
  const r = parseVerbCommand(command);
  assert.ok(!r.ok, `expected a refusal of ${command}`);
  return r.reason;
};

describe('SSH verbs', () => {
  it('parses each verb with its role and pty rule', () => {
    assert.deepEqual(ok('logs blog -f --tail 100 --since 10m --timestamps'), {
      verb: 'logs',
      name: 'blog',
      flags: { follow: true, tail: '100', since: '10m', timestamps: true },
      words: [],
      role: 'view',
      pty: false,
    });
    assert.deepEqual(ok('logs blog --previous --tail 5').flags, { previous: true, tail: '5' });
    assert.match(refused('logs blog --previous -f'), /--previous takes only --tail and --timestamps/);
    assert.equal(ok('config app/blog').role, 'view');
    assert.deepEqual(ok("config:set blog A=1 'B=two words'").words, ['A=1', 'B=two words']);
    assert.equal(ok('config set blog A=1').verb, 'config:set');
    assert.deepEqual(ok('config unset blog A B').words, ['A', 'B']);
    assert.equal(ok('restart port/db').role, 'deploy');
    assert.deepEqual(ok('run blog -- rake db:migrate'), {
      verb: 'run',
      name: 'blog',
      flags: {},
      words: ['rake', 'db:migrate'],
      role: 'deploy',
      pty: true,
    });
    assert.equal(ok('exec blog sh').role, 'admin');
    assert.deepEqual(ok('job run blog cleanup').words, ['cleanup']);
    assert.equal(ok('build:list blog').role, 'view');
    assert.equal(ok('build cancel blog').verb, 'build:cancel');
    assert.equal(ok('build:cancel app/blog').role, 'deploy');
    assert.match(refused('build:cancel blog now'), /build:cancel NAME/);
  });

  it('refuses unknown verbs, shell syntax, hostile names and stray arguments', () => {
    assert.match(refused('rm -rf /'), /not a HIY command/);
    assert.match(refused('logs blog; id'), /shell syntax/);
    assert.match(refused('logs $(id)'), /shell syntax/);
    assert.match(refused('logs ../etc'), /not a resource name/);
    assert.match(refused('logs blog --output x'), /unknown flag/);
    assert.match(refused('logs blog --tail lots'), /--tail needs a number/);
    assert.match(refused('config:set blog 1A=b'), /not KEY=VALUE/);
    assert.match(refused('config:set blog'), /nothing to set/);
    assert.match(refused('restart blog now'), /unexpected/);
    assert.match(refused('exec blog'), /which command/);
    assert.match(refused('job run blog'), /which job/);
    assert.match(refused("logs 'blog"), /unterminated quote/);
    assert.match(refused('logs\nblog'), /control characters/);
    assert.match(refused(`config:set blog A=${'x'.repeat(9000)}`), /too long/);
    assert.match(refused('backup:restore blog --id ../x'), /--id needs a backup id/);
    assert.match(refused('backup:now blog --to-volume other'), /unknown flag/);
    assert.match(refused('backup:list blog --backup Bad_Name'), /--backup needs a Backup name/);
  });

  it('parses the backup verbs, spaced or with a colon', () => {
    assert.deepEqual(ok('backup now db --backup offsite --json').flags, { backup: 'offsite', json: true });
    assert.deepEqual(ok('backup:restore port/db --id 1a2b3c4d').flags, { id: '1a2b3c4d' });
    assert.equal(ok('backup:list db').role, 'view');
    assert.equal(ok('backup drill db').role, 'deploy');
    assert.equal(isVerbCommand('backup now db'), true);
  });

  it('tells verbs from git commands by the first word', () => {
    assert.equal(isVerbCommand('logs blog'), true);
    assert.equal(isVerbCommand('job run blog x'), true);
    assert.equal(isVerbCommand("git-upload-pack 'site'"), false);
    assert.equal(isVerbCommand(undefined), false);
    assert.deepEqual(splitWords(`a "b \\"c\\"" 'd e'f`), ['a', 'b "c"', 'd ef']);
  });
});
