// Dashboard access stores: sessions (hashed, 12 h idle), one-time links (10 min, one use), passkeys, the limit.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pruneDashboardAccess } from '../../../src/access/dashboardAccess.js';
import { SignInLimiter } from '../../../src/access/signInLimit.js';
import { dashboardBaseUrl } from '../../../src/access/signInLink.js';
import type { UserResource } from '../../../src/model/resources.js';
import { openStores } from '../../../src/store/index.js';
import { LoginLinkStore } from '../../../src/store/loginLinks.js';
import { PasskeyStore } from '../../../src/store/passkeys.js';
import { SESSION_IDLE_MS, SessionStore } from '../../../src/store/sessions.js';

const userNamed = (name: string): UserResource => ({
  apiVersion: 'hiy/v1',
  kind: 'User',
  metadata: { name },
  spec: { sshKeys: [], grants: [] },
});

describe('dashboard access', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-dash-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('sessions: only a hash is stored; valid until 12 h without use; revocable, per user', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const store = new SessionStore(dir, () => now);
    const { token, record } = await store.create('alice', { method: 'link', address: '10.0.0.1' });
    assert.match(token, /^hiys_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.ok(!(await readFile(store.path, 'utf8')).includes(token));
    assert.equal((await store.verify(token))?.user, 'alice');
    assert.equal(await store.verify(`${token.slice(0, -2)}AA`), undefined);
    // Used after 11 h: still valid, and the use counts.
    now = new Date(now.getTime() + 11 * 3600_000);
    assert.ok(await store.verify(token));
    now = new Date(now.getTime() + 11 * 3600_000);
    assert.ok(await store.verify(token), 'idle expiry counts from the last use');
    now = new Date(now.getTime() + SESSION_IDLE_MS + 1);
    assert.equal(await store.verify(token), undefined);
    const second = await store.create('alice', { method: 'passkey' });
    assert.equal(await store.revoke(second.record.id, 'bob'), false, 'not bob’s to revoke');
    assert.equal(await store.revoke(second.record.id, 'alice'), true);
    assert.equal(await store.verify(second.token), undefined);
    assert.notEqual(record.id, second.record.id);
  });

  it('links: one use, 10 minutes, hashed', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const links = new LoginLinkStore(dir, () => now);
    const a = await links.create('alice');
    assert.ok(!(await readFile(links.path, 'utf8')).includes(a.token));
    assert.equal(await links.peek(a.token), 'alice');
    assert.equal(await links.consume(a.token), 'alice');
    assert.equal(await links.consume(a.token), undefined, 'used once already');
    const b = await links.create('alice');
    now = new Date(now.getTime() + 10 * 60_000 + 1);
    assert.equal(await links.peek(b.token), undefined);
    assert.equal(await links.consume(b.token), undefined, 'expired');
    assert.equal(await links.consume('../../etc/passwd'), undefined);
  });

  it('a removed User loses sessions, passkeys and links', async () => {
    const sessions = new SessionStore(dir);
    const passkeys = new PasskeyStore(dir);
    const links = new LoginLinkStore(dir);
    const bob = await sessions.create('bob', { method: 'link' });
    const carol = await sessions.create('carol', { method: 'link' });
    const link = await links.create('bob');
    await passkeys.add({
      id: 'k1',
      user: 'bob',
      publicKey: 'x',
      counter: 0,
      label: 'k',
      createdAt: '2026-01-01T00:00:00Z',
    });
    await passkeys.add({
      id: 'k2',
      user: 'carol',
      publicKey: 'y',
      counter: 0,
      label: 'k',
      createdAt: '2026-01-01T00:00:00Z',
    });
    const removed = await pruneDashboardAccess(openStores(dir), [userNamed('carol')]);
    assert.equal(removed.passkeys, 1);
    assert.ok(removed.sessions >= 1);
    assert.equal(await sessions.verify(bob.token), undefined);
    assert.ok(await sessions.verify(carol.token));
    assert.deepEqual(
      (await passkeys.list()).map((p) => p.id),
      ['k2'],
    );
    assert.equal(await links.consume(link.token), undefined);
  });

  it('the sign-in limit counts failures per address in a window', () => {
    let now = 0;
    const limit = new SignInLimiter({ max: 3, windowMs: 1000, now: () => now });
    const blockedAfter = [1, 2, 3].map(() => {
      limit.failed('a');
      return limit.blocked('a');
    });
    assert.deepEqual(blockedAfter, [false, false, true]);
    assert.equal(limit.blocked('b'), false, 'other addresses are not affected');
    assert.equal(limit.retryAfter('a'), 1);
    now = 1000;
    assert.equal(limit.blocked('a'), false, 'a new window');
  });

  it('the sign-in URL: the dashboard host (https unless TLS is off), else the daemon’s API address', async () => {
    assert.equal(
      await dashboardBaseUrl({ dashboardHost: 'hiy.example.com', tls: 'acme', dataDir: dir }),
      'https://hiy.example.com',
    );
    assert.equal(
      await dashboardBaseUrl({ dashboardHost: 'hiy.localhost', tls: 'off', dataDir: dir }),
      'http://hiy.localhost',
    );
    assert.equal(await dashboardBaseUrl({ tls: 'acme', dataDir: dir }), 'http://127.0.0.1:7070');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      join(dir, 'daemon.json'),
      JSON.stringify({ endpoints: { api: 'http://127.0.0.1:7171' } }),
    );
    assert.equal(await dashboardBaseUrl({ tls: 'acme', dataDir: dir }), 'http://127.0.0.1:7171');
    assert.equal(
      await dashboardBaseUrl({ dashboardHost: 'hiy.localhost', tls: 'off', httpAddr: ':8080', dataDir: dir }),
      'http://hiy.localhost:8080',
      'a listen port that is not the default is in the link',
    );
    // A daemon that publishes the dashboard: its host, not the API's loopback address.
    await writeFile(
      join(dir, 'daemon.json'),
      JSON.stringify({
        endpoints: { api: 'http://127.0.0.1:7171' },
        settings: { dashboardHost: 'hiy.localhost', tls: 'off', httpAddr: ':80' },
      }),
    );
    assert.equal(await dashboardBaseUrl({ tls: 'acme', dataDir: dir }), 'http://hiy.localhost');
  });
});
