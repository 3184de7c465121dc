// The grant matrix: one decision for SSH, API and dashboard (view reads, deploy reconciles, admin rolls back).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasAnyRole, isAllowed, roleOn } from '../../../src/access/grants.js';
import type { UserResource } from '../../../src/model/resources.js';

const user = (grants: UserResource['spec']['grants']): UserResource => ({
  apiVersion: 'hiy/v1',
  kind: 'User',
  metadata: { name: 'u' },
  spec: { sshKeys: [], grants },
});

describe('grants', () => {
  it('the matrix: view reads; deploy reconciles, snapshots and rolls back (issue 11); admin administers', () => {
    const u = user([
      { app: 'blog', role: 'deploy' },
      { app: 'shop', role: 'view' },
    ]);
    assert.equal(roleOn(u, 'app/blog'), 'deploy');
    assert.ok(isAllowed(u, 'read', 'app/blog'));
    assert.ok(isAllowed(u, 'snapshot', 'app/blog'));
    assert.ok(isAllowed(u, 'rollback', 'app/blog'));
    assert.ok(!isAllowed(u, 'administer', 'app/blog'));
    assert.ok(!isAllowed(u, 'rollback', 'app/shop'));
    // Restart and unpin: deploy, on every surface (API, SSH, dashboard) through this one table.
    assert.ok(isAllowed(u, 'restart', 'app/blog') && isAllowed(u, 'unpin', 'app/blog'));
    assert.ok(!isAllowed(u, 'restart', 'app/shop') && !isAllowed(u, 'unpin', 'app/shop'));
    assert.ok(isAllowed(u, 'read', 'app/shop'));
    assert.ok(!isAllowed(u, 'snapshot', 'app/shop'));
    assert.ok(!isAllowed(u, 'read', 'app/other'));
    assert.ok(!isAllowed(u, 'read', 'port/blog'), 'a grant on an App never covers a Port of that name');
    assert.ok(hasAnyRole(u, 'deploy'));
    assert.ok(!hasAnyRole(user([{ app: '*', role: 'view' }]), 'deploy'));
  });

  it('"*" covers every App and Port; the highest grant wins; no user, no role', () => {
    const u = user([
      { app: '*', role: 'view' },
      { app: 'blog', role: 'admin' },
    ]);
    assert.equal(roleOn(u, 'port/db'), 'view');
    assert.equal(roleOn(u, 'app/blog'), 'admin');
    assert.ok(isAllowed(u, 'rollback', 'app/blog'));
    assert.ok(!isAllowed(u, 'rollback', 'port/db'));
    assert.equal(roleOn(undefined, 'app/blog'), undefined);
  });
});
