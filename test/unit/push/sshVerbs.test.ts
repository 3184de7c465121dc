// The SSH verbs' grant check: the same roles as the API, Ports through "*" grants only, a pty for exec/run only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Access } from '../../../src/access/stateAccess.js';
import { parseVerbCommand } from '../../../src/drivers/ssh/verbCommand.js';
import { type UserResource, UserResource as UserSchema } from '../../../src/model/resources.js';
import { auditDetail, authorizeVerb } from '../../../src/push/sshVerbs.js';

const user = (name: string, grants: { app: string; role: 'view' | 'deploy' | 'admin' }[]): UserResource =>
  UserSchema.parse({ apiVersion: 'hiy/v1', kind: 'User', metadata: { name }, spec: { grants } });

const access: Access = {
  commit: 'c',
  users: new Map([
    ['vic', user('vic', [{ app: 'blog', role: 'view' }])],
    ['dee', user('dee', [{ app: 'blog', role: 'deploy' }])],
    ['ada', user('ada', [{ app: '*', role: 'admin' }])],
    // A grant naming the Port db as if it were an App (hiy validate warns): it reaches nothing.
    ['mal', user('mal', [{ app: 'db', role: 'admin' }])],
  ]),
  apps: [
    {
      apiVersion: 'hiy/v1',
      kind: 'App',
      metadata: { name: 'blog' },
      spec: {
        source: { repo: 'blog', branch: 'main' },
        build: { context: '.' },
        restart: 'unless-stopped',
        stopGracePeriod: '10s',
      },
    } as Access['apps'][number],
  ],
  ports: [
    {
      apiVersion: 'hiy/v1',
      kind: 'Port',
      metadata: { name: 'db' },
    } as Access['ports'][number],
  ],
};

function decide(who: string, command: string, pty = false) {
  const p = parseVerbCommand(command);
  assert.ok(p.ok);
  const d = authorizeVerb(p.request, p.spec, who, access, pty);
  return d.ok ? `ok ${d.resource}` : d.message;
}

describe('SSH verb grants', () => {
  it('view reads, deploy changes, admin execs', () => {
    assert.equal(decide('vic', 'logs blog'), 'ok app/blog');
    assert.equal(decide('vic', 'config blog'), 'ok app/blog');
    assert.equal(decide('vic', 'restart blog'), 'refused: restart needs the deploy role on app/blog');
    assert.equal(decide('dee', 'config:set blog A=b'), 'ok app/blog');
    assert.equal(decide('dee', 'run blog -- true'), 'ok app/blog');
    assert.equal(decide('dee', 'exec blog -- sh'), 'refused: exec needs the admin role on app/blog');
    assert.equal(decide('ada', 'exec blog -- sh'), 'ok app/blog');
    assert.equal(decide('dee', 'logs db'), 'refused: logs needs the view role on port/db');
    assert.equal(decide('ada', 'logs db'), 'ok port/db');
    assert.equal(decide('eve', 'logs blog'), 'refused: eve is not a User of this HIY');
  });

  it('backup verbs: list with view, now/drill/restore with deploy (the snapshot and rollback grants)', () => {
    assert.equal(decide('vic', 'backup:list blog --json'), 'ok app/blog');
    assert.equal(decide('vic', 'backup now blog'), 'refused: backup:now needs the deploy role on app/blog');
    assert.equal(decide('dee', 'backup:now blog --backup offsite'), 'ok app/blog');
    assert.equal(decide('dee', 'backup drill blog'), 'ok app/blog');
    assert.equal(decide('dee', 'backup:restore blog --id 1a2b3c4d'), 'ok app/blog');
    assert.equal(
      decide('dee', 'backup:restore db'),
      'refused: backup:restore needs the deploy role on port/db',
    );
    assert.equal(decide('ada', 'backup:restore db'), 'ok port/db');
  });

  it('names resolve to the App or Port the state has; a kind that does not match is refused', () => {
    // The reported case: `app: db` granted, db a Port. app/db is no App; the Port needs a "*" grant.
    assert.equal(decide('mal', 'exec app/db -- sh'), 'refused: no App named db in the state repo');
    assert.equal(decide('mal', 'logs app/db'), 'refused: no App named db in the state repo');
    assert.equal(decide('mal', 'logs db'), 'refused: logs needs the view role on port/db');
    assert.equal(decide('mal', 'exec port/db -- sh'), 'refused: exec needs the admin role on port/db');
    assert.equal(decide('ada', 'logs port/blog'), 'refused: no Port named blog in the state repo');
    assert.equal(decide('ada', 'logs app/blog'), 'ok app/blog');
    assert.equal(decide('ada', 'logs port/db'), 'ok port/db');
    assert.equal(decide('ada', 'logs nope'), 'refused: no App or Port named nope in the state repo');
  });

  it('a terminal only for exec and run', () => {
    assert.equal(decide('ada', 'exec blog -- sh', true), 'ok app/blog');
    assert.equal(decide('ada', 'run blog', true), 'ok app/blog');
    assert.match(decide('ada', 'logs blog', true), /logs takes no terminal/);
  });

  it('help and status for every User (each shows only what the user may view), ps:report with view', () => {
    assert.equal(decide('vic', 'help'), 'ok *');
    assert.equal(decide('mal', 'status'), 'ok *');
    assert.equal(decide('eve', 'status'), 'refused: eve is not a User of this HIY');
    assert.equal(decide('vic', 'ps:report blog'), 'ok app/blog');
    assert.equal(decide('vic', 'ps:report db'), 'refused: ps:report needs the view role on port/db');
    assert.match(decide('ada', 'status', true), /status takes no terminal/);
    const extra = parseVerbCommand('status blog');
    assert.ok(!extra.ok && /unexpected "blog"; usage: status/.test(extra.reason), JSON.stringify(extra));
  });

  it('audit details never carry config values', () => {
    const p = parseVerbCommand('config:set blog PASSWORDISH=hunter2 B=c');
    assert.ok(p.ok);
    assert.equal(auditDetail(p.request), 'PASSWORDISH B');
  });
});
