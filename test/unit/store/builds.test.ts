// Build records: begin, update, cancel requests, and an active build of a dead process read as failed.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type BuildRun, BuildRunStore, isActive, settle } from '../../../src/store/builds.js';

const draft = {
  apps: ['app/site'],
  repo: 'site',
  branch: 'main',
  commit: 'a'.repeat(40),
  user: 'alice',
  detached: false,
  timeoutMs: 60_000,
  logs: ['builds/site/aaaaaaaaaaaa.log'],
};

describe('build records', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('are written, updated, listed oldest first, and carry cancel requests until they end', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hiy-builds-'));
    dirs.push(dir);
    const store = new BuildRunStore(dir);
    const first = await store.begin(draft, new Date(1000));
    const second = await store.begin({ ...draft, commit: 'b'.repeat(40) }, new Date(2000));
    assert.equal(first.state, 'queued');
    assert.deepEqual(
      (await store.list()).map((r) => r.id),
      [first.id, second.id],
    );
    const building = await store.update(first, { state: 'building', step: 'build' });
    assert.equal((await store.get(first.id))?.step, 'build');
    await store.requestCancel(first.id, 'bob', new Date(3000));
    assert.deepEqual(await store.cancelRequest(first.id), { by: 'bob', at: new Date(3000).toISOString() });
    await store.update(building, { state: 'cancelled', reason: 'cancelled by bob' });
    assert.equal(await store.cancelRequest(first.id), undefined, 'an ended build drops its request');
    assert.equal(await store.get('../etc'), undefined);
  });

  it('an active build whose process is gone reads as failed; a final one stays as it is', () => {
    const run = { ...draft, id: 'x', pid: 1, state: 'building', startedAt: 'now' } as BuildRun;
    assert.equal(settle(run, () => true).state, 'failed');
    assert.match(settle(run, () => true).reason ?? '', /ended without finishing/);
    assert.equal(settle(run, () => false).state, 'building');
    assert.equal(settle({ ...run, state: 'succeeded' }, () => true).state, 'succeeded');
    assert.equal(isActive({ state: 'deploying' }), true);
    assert.equal(isActive({ state: 'timed-out' }), false);
  });
});
