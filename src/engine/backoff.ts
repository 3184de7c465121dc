// Backoff policy for failing resources: a resource whose apply failed is not retried for the same desired spec
// until its delay has passed (10 s, 20 s, 40 s … capped at 10 min); a new spec retries at once. Pure. Leaving
// such a resource out of a plan is the planner's (src/plan/backoff.ts); this is the arithmetic of recording one.
import type { BackoffState } from '../model/status.js';
import { desiredFingerprint, isBackedOff } from '../plan/backoff.js';

export type { BackoffState };
export { desiredFingerprint, isBackedOff };

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 600_000 };

/** Delay before the n-th retry (n ≥ 1 failures so far): base · 2^(n-1), capped. */
export function backoffDelayMs(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exp = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(policy.baseMs * 2 ** exp, policy.maxMs);
}

/** The state after one more failure; the count restarts when the fingerprint changed. */
export function recordFailure(
  prev: BackoffState | undefined,
  failure: { fingerprint: string; commit: string; now: Date },
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): BackoffState {
  const failures = prev && prev.fingerprint === failure.fingerprint ? prev.failures + 1 : 1;
  return {
    fingerprint: failure.fingerprint,
    failures,
    lastFailureAt: failure.now.toISOString(),
    retryAt: new Date(failure.now.getTime() + backoffDelayMs(failures, policy)).toISOString(),
    commit: failure.commit,
  };
}
