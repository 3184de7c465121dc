// Dashboard sessions end after 12 h without use and, however often used, 7 days after they were opened.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SESSION_IDLE_MS, SESSION_MAX_AGE_MS, SessionStore } from '../../../src/store/sessions.js';

const HOUR = 60 * 60 * 1000;

describe('session lifetime', () => {
  let root: string;
  let now: number;
  let store: SessionStore;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hiy-sessions-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const fresh = async () => {
    now = Date.parse('2026-01-01T00:00:00Z');
    store = new SessionStore(await mkdtemp(join(root, 's-')), () => new Date(now));
  };

  it('ends after 12 h idle', async () => {
    await fresh();
    const { token } = await store.create('alice', { method: 'link' });
    now += SESSION_IDLE_MS - HOUR;
    assert.equal((await store.verify(token))?.user, 'alice');
    now += SESSION_IDLE_MS + 1;
    assert.equal(await store.verify(token), undefined);
  });

  it('ends 7 days after it was opened although it was used every hour', async () => {
    await fresh();
    const { token, record } = await store.create('alice', { method: 'link' });
    const opened = now;
    while (now + HOUR < opened + SESSION_MAX_AGE_MS) {
      now += HOUR;
      assert.equal((await store.verify(token))?.user, 'alice', `at ${(now - opened) / HOUR} h`);
    }
    now = opened + SESSION_MAX_AGE_MS;
    assert.equal(await store.verify(token), undefined);
    assert.deepEqual(
      (await store.list()).map((s) => s.id),
      [],
      'not listed either',
    );
    assert.equal(SESSION_MAX_AGE_MS, 7 * 24 * HOUR);
    assert.ok(record.createdAt);
  });
});
