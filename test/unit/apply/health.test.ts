// How long one health probe may take: enough for a podman exec on a busy box, never past the check's deadline.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probeAttemptMs } from '../../../src/apply/health.js';

describe('probeAttemptMs', () => {
  it('gives a probe at least 10 s, however short the interval, within the deadline', () => {
    assert.equal(probeAttemptMs(1000, 60_000), 10_000);
    assert.equal(probeAttemptMs(30_000, 60_000), 30_000);
    assert.equal(probeAttemptMs(1000, 4000), 4000);
    assert.equal(probeAttemptMs(1000, 100), 500);
  });
});
