// Pure parts of the API: the grant matrix, the Prometheus rendering, token verification.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasAnyRole, isAllowed, roleOn } from '../../../src/access/grants.js';
import type { UserResource } from '../../../src/model/resources.js';
import { Metrics } from '../../../src/server/metrics.js';
import { parseListenAddr } from '../../../src/server/server.js';
import { TokenStore } from '../../../src/store/tokens.js';

const user = (grants: UserResource['spec']['grants']): UserResource => ({
  apiVersion: 'hiy/v1',
  kind: 'User',
  metadata: { name: 'u' },
  spec: { sshKeys: [], grants },
});

describe('grants', () => {
  it('the matrix: view reads, deploy reconciles and snapshots, admin rolls back', () => {
    const u = user([
      { app: 'blog', role: 'deploy' },
      { app: 'shop', role: 'view' },
    ]);
    assert.equal(roleOn(u, 'app/blog'), 'deploy');
    assert.ok(isAllowed(u, 'read', 'app/blog'));
    assert.ok(isAllowed(u, 'snapshot', 'app/blog'));
    assert.ok(!isAllowed(u, 'rollback', 'app/blog'));
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

describe('metrics', () => {
  it('renders histogram, counters and the last success from controller events', () => {
    const m = new Metrics();
    const at = '2026-01-01T00:00:00.000Z';
    m.observe({ seq: 1, at, type: 'action.finished', message: '', data: { kind: 'container.create' } });
    m.observe({ seq: 2, at, type: 'action.failed', message: '', data: { kind: 'image.build' } });
    m.observe({ seq: 3, at, type: 'reconcile.finished', message: '', data: { ok: true, ms: 300 } });
    m.observe({
      seq: 4,
      at: '2026-01-01T00:01:00.000Z',
      type: 'reconcile.failed',
      message: '',
      data: { ok: false, ms: 20_000, results: [{ kind: 'container.replace', status: 'failed' }] },
    });
    const text = m.render();
    assert.match(text, /hiy_reconcile_duration_seconds_bucket\{le="0\.25"\} 0\n/);
    assert.match(text, /hiy_reconcile_duration_seconds_bucket\{le="0\.5"\} 1\n/);
    assert.match(text, /hiy_reconcile_duration_seconds_bucket\{le="30"\} 2\n/);
    assert.match(text, /hiy_reconcile_duration_seconds_bucket\{le="\+Inf"\} 2\n/);
    assert.match(text, /hiy_reconcile_duration_seconds_sum 20\.3\n/);
    assert.match(
      text,
      /hiy_reconcile_runs_total\{result="ok"\} 1\nhiy_reconcile_runs_total\{result="failed"\} 1/,
    );
    assert.match(text, /hiy_actions_total\{kind="container\.create",result="done"\} 1/);
    assert.match(text, /hiy_actions_total\{kind="container\.replace",result="failed"\} 1/);
    assert.match(text, /hiy_actions_total\{kind="image\.build",result="failed"\} 1/);
    assert.match(text, /hiy_last_successful_reconcile_timestamp_seconds 1767225600\n/);
  });
});

describe('tokens', () => {
  it('verify accepts the token once created, in constant time, and nothing after revoke', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hiy-tokens-'));
    try {
      const store = new TokenStore(dir);
      const { token, record } = await store.create('alice');
      assert.match(token, /^hiy_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      assert.equal((await store.verify(token))?.user, 'alice');
      assert.equal(await store.verify(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), undefined);
      assert.equal(await store.verify('Bearer nonsense'), undefined);
      assert.ok(!(await readFile(store.path, 'utf8')).includes(token.slice(17)));
      assert.ok(await store.revoke(record.id));
      assert.equal(await store.verify(token), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('listen addresses', () => {
    assert.deepEqual(parseListenAddr('127.0.0.1:7070'), { host: '127.0.0.1', port: 7070 });
    assert.deepEqual(parseListenAddr('[::1]:80'), { host: '::1', port: 80 });
    assert.deepEqual(parseListenAddr(':8080'), { host: '0.0.0.0', port: 8080 });
    assert.throws(() => parseListenAddr('localhost'), /--api-addr must look like/);
  });
});
