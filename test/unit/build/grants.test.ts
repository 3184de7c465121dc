// Grants: view < deploy < admin, `*` for every app, the state repo only through `*`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedOnAll, allows, roleOn, stateRepoAccess } from '../../../src/model/grants.js';
import type { UserResource } from '../../../src/model/resources.js';

function user(grants: UserResource['spec']['grants']): UserResource {
  return { apiVersion: 'hiy/v1', kind: 'User', metadata: { name: 'u' }, spec: { sshKeys: [], grants } };
}

describe('grants', () => {
  it('takes the highest matching role, counting *', () => {
    const u = user([
      { app: 'site', role: 'view' },
      { app: '*', role: 'deploy' },
      { app: 'blog', role: 'admin' },
    ]);
    assert.equal(roleOn(u, 'site'), 'deploy');
    assert.equal(roleOn(u, 'blog'), 'admin');
    assert.equal(roleOn(user([{ app: 'site', role: 'view' }]), 'blog'), undefined);
    assert.ok(allows('admin', 'deploy') && allows('deploy', 'view') && !allows('view', 'deploy'));
    assert.ok(!allows(undefined, 'view'));
  });

  it('needs the role on every App built from a repository', () => {
    const u = user([{ app: 'a', role: 'deploy' }]);
    assert.ok(allowedOnAll(u, ['a'], 'deploy'));
    assert.ok(!allowedOnAll(u, ['a', 'b'], 'deploy'));
    assert.ok(!allowedOnAll(u, [], 'view'));
  });

  it('reaches the state repo only through a grant on *', () => {
    assert.equal(stateRepoAccess(user([{ app: 'site', role: 'admin' }])), undefined);
    assert.equal(stateRepoAccess(user([{ app: '*', role: 'admin' }])), 'admin');
  });
});
