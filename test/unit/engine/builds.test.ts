// The Building condition of Apps with a build under way, and the events of builds that did not succeed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEvent, buildingConditions } from '../../../src/engine/builds.js';
import type { BuildRun } from '../../../src/store/builds.js';

const run: BuildRun = {
  id: '1',
  pid: 1,
  apps: ['app/site', 'app/www'],
  repo: 'site',
  branch: 'main',
  commit: 'c'.repeat(40),
  user: 'alice',
  state: 'building',
  step: 'runtime stage',
  startedAt: '2026-01-01T00:00:00.000Z',
  detached: false,
  timeoutMs: 60_000,
  logs: [],
};

describe('builds in status and events', () => {
  it('puts Building=True on every App of an active build, saying what it does and how to stop it', () => {
    const c = buildingConditions([run], new Date('2026-01-01T00:01:05.000Z'));
    assert.deepEqual([...c.keys()], ['app/site', 'app/www']);
    const site = c.get('app/site')!;
    assert.equal(site.type, 'Building');
    assert.equal(site.status, 'True');
    assert.equal(site.reason, 'Building');
    assert.equal(
      site.message,
      'cccccccccccc pushed by alice, building: runtime stage for 1m05s (hiy build cancel site stops it)',
    );
    assert.equal(
      buildingConditions([{ ...run, state: 'queued' }], new Date()).get('app/site')?.reason,
      'Queued',
    );
    assert.equal(buildingConditions([{ ...run, state: 'failed' }], new Date()).size, 0);
  });

  it('makes build.failed of failures and timeouts, build.cancelled of cancels, nothing of successes', () => {
    const failed = buildEvent({ ...run, state: 'timed-out', reason: 'timed out after 30m' });
    assert.equal(failed.length, 2);
    assert.equal(failed[0]!.type, 'build.failed');
    assert.equal(failed[0]!.resource, 'app/site');
    assert.match(failed[0]!.message, /timed out in runtime stage: timed out after 30m/);
    assert.equal(failed[0]!.data?.outcome, 'timed-out');
    assert.equal(buildEvent({ ...run, state: 'cancelled' })[0]!.type, 'build.cancelled');
    assert.deepEqual(buildEvent({ ...run, state: 'succeeded' }), []);
  });
});
