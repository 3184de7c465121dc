// git-shell's decision: grants on every App built from a repository, the state repo only through "*".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Access } from '../../../src/access/stateAccess.js';
import type { AppResource, UserResource } from '../../../src/model/resources.js';
import { authorize } from '../../../src/push/gitShell.js';

function user(name: string, grants: UserResource['spec']['grants']): UserResource {
  return { apiVersion: 'hiy/v1', kind: 'User', metadata: { name }, spec: { sshKeys: [], grants } };
}

function app(name: string, repo: string): AppResource {
  return {
    apiVersion: 'hiy/v1',
    kind: 'App',
    metadata: { name },
    spec: { source: { repo, branch: 'main' }, build: { context: '.' } },
  } as AppResource;
}

const access: Access = {
  commit: 'c',
  users: new Map(
    [
      user('dev', [{ app: 'site', role: 'deploy' }]),
      user('viewer', [{ app: '*', role: 'view' }]),
      user('root', [{ app: '*', role: 'admin' }]),
      user('half', [{ app: 'a', role: 'deploy' }]),
    ].map((u) => [u.metadata.name, u]),
  ),
  apps: [app('site', 'site'), app('a', 'shared'), app('b', 'shared')],
  ports: [],
};
const settings = { stateRepo: '/srv/state', dataDir: '/var/lib/hiy' };
const push = (repo: string) => ({ service: 'git-receive-pack' as const, repo });
const fetch = (repo: string) => ({ service: 'git-upload-pack' as const, repo });

describe('authorize', () => {
  it('lets deploy push (creating the repository on the first push) and view fetch', () => {
    assert.deepEqual(
      authorize(push('site'), 'dev', access, settings, () => false),
      {
        ok: true,
        gitDir: '/var/lib/hiy/repos/site.git',
        create: { branch: 'main' },
      },
    );
    assert.deepEqual(
      authorize(fetch('site'), 'viewer', access, settings, () => true),
      {
        ok: true,
        gitDir: '/var/lib/hiy/repos/site.git',
      },
    );
    const empty = authorize(fetch('site'), 'viewer', access, settings, () => false);
    assert.ok(!empty.ok && /is empty/.test(empty.message));
  });

  it('refuses unknown users, missing grants, repositories no App uses, and partial grants', () => {
    for (const [req, who, msg] of [
      [push('site'), 'nobody', /nobody is not a User/],
      [push('site'), 'viewer', /viewer has no deploy grant on App site/],
      [push('other'), 'root', /no App is built from repository other/],
      [push('shared'), 'half', /half has no deploy grant on every one of App a, b/],
    ] as const) {
      const d = authorize(req, who, access, settings, () => true);
      assert.ok(!d.ok && msg.test(d.message), JSON.stringify(d));
    }
  });

  it('reaches the state repo only through grants on "*": view to fetch, admin to push', () => {
    assert.deepEqual(
      authorize(push('state'), 'root', access, settings, () => true),
      {
        ok: true,
        gitDir: '/srv/state',
      },
    );
    assert.ok(authorize(fetch('state'), 'viewer', access, settings, () => true).ok);
    assert.ok(!authorize(push('state'), 'viewer', access, settings, () => true).ok);
    assert.ok(!authorize(fetch('state'), 'dev', access, settings, () => true).ok);
  });
});
