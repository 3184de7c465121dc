// The sign-in rate limit: at most a few attempts per client address per window, counted in memory. Pure.

export interface SignInLimitOptions {
  /** Attempts allowed per window and address (default 10). */
  max?: number;
  /** Window length in ms (default 10 minutes). */
  windowMs?: number;
  now?: () => number;
}

/**
 * Counts sign-in attempts (links and passkeys, good or bad) per client address in fixed windows. A link
 * carries 256 random bits, so this is not what keeps guessing out; it keeps a flood of attempts cheap.
 */
export class SignInLimiter {
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly counts = new Map<string, { start: number; n: number }>();

  constructor(opts: SignInLimitOptions = {}) {
    this.max = opts.max ?? 10;
    this.windowMs = opts.windowMs ?? 10 * 60 * 1000;
    this.now = opts.now ?? Date.now;
  }

  /** Counts one attempt from `key`; false when it is over the limit (then nothing is tried). */
  attempt(key: string): boolean {
    const now = this.now();
    if (this.counts.size > 10_000) {
      for (const [k, c] of this.counts) if (now - c.start >= this.windowMs) this.counts.delete(k);
    }
    const c = this.counts.get(key);
    if (!c || now - c.start >= this.windowMs) {
      this.counts.set(key, { start: now, n: 1 });
      return true;
    }
    c.n += 1;
    return c.n <= this.max;
  }

  /** Seconds until `key` may try again (0 when it may now). */
  retryAfter(key: string): number {
    const c = this.counts.get(key);
    if (!c || c.n <= this.max) return 0;
    return Math.max(1, Math.ceil((c.start + this.windowMs - this.now()) / 1000));
  }
}
