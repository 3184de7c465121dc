// Backoff of failing resources (pure): delays, reset on a new spec, fingerprints. Plans without deferred
// resources are the planner's: test/unit/plan/backoff.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoffDelayMs,
  DEFAULT_BACKOFF,
  desiredFingerprint,
  isBackedOff,
  recordFailure,
} from '../../../src/engine/backoff.js';
import { port } from '../../support/fixtures.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('backoff delays', () => {
  it('doubles from 10 s and caps at 10 min', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoffDelayMs(n) / 1000);
    assert.deepEqual(delays, [10, 20, 40, 80, 160, 320, 600, 600, 600]);
    assert.equal(backoffDelayMs(3, { baseMs: 100, maxMs: 250 }), 250);
  });

  it('counts failures of the same fingerprint and restarts for a new one', () => {
    const a = recordFailure(undefined, { fingerprint: 'A', commit: 'c1', now: t0 });
    assert.equal(a.failures, 1);
    assert.equal(a.retryAt, at(10_000).toISOString());
    const a2 = recordFailure(a, { fingerprint: 'A', commit: 'c2', now: at(10_000) });
    assert.equal(a2.failures, 2);
    assert.equal(a2.retryAt, at(30_000).toISOString());
    assert.equal(a2.commit, 'c2');
    const b = recordFailure(a2, { fingerprint: 'B', commit: 'c3', now: at(11_000) });
    assert.equal(b.failures, 1);
    assert.equal(b.retryAt, at(21_000).toISOString());
  });

  it('holds back only the failed fingerprint, and only until retryAt', () => {
    const s = recordFailure(undefined, { fingerprint: 'A', commit: 'c1', now: t0 }, DEFAULT_BACKOFF);
    assert.equal(isBackedOff(s, 'A', at(9_999)), true);
    assert.equal(isBackedOff(s, 'A', at(10_000)), false);
    assert.equal(isBackedOff(s, 'B', at(1)), false, 'a new spec retries at once');
    assert.equal(isBackedOff(undefined, 'A', t0), false);
  });

  it('fingerprints change with routes, health checks and env, not only the container spec hash', () => {
    const base = port('web', { routes: [{ host: 'a.test', port: 8080 }] });
    const route = port('web', { routes: [{ host: 'b.test', port: 8080 }] });
    const env = port('web', { routes: [{ host: 'a.test', port: 8080 }], env: { A: '1' } });
    assert.equal(base.specHash, route.specHash);
    assert.notEqual(desiredFingerprint(base), desiredFingerprint(route));
    assert.notEqual(desiredFingerprint(base), desiredFingerprint(env));
    assert.equal(
      desiredFingerprint(base),
      desiredFingerprint(port('web', { routes: [{ host: 'a.test', port: 8080 }] })),
    );
  });
});
