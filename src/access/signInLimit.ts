// The sign-in rate limit: at most a few failed attempts per client address per window, counted in memory. Pure.

export interface SignInLimitOptions {
  /** Failed attempts allowed per window and address (default 10). */
  max?: number;
  /** Window length in ms (default 10 minutes). */
  windowMs?: number;
  now?: () => number;
}

/**
 * Counts failed sign-ins (used, expired or unknown links; passkeys that do not verify) per client address in
 * fixed windows; once an address has `max` of them, every sign-in from it is refused until the window ends. A
 * link carries 256 random bits, so this is not what keeps guessing out; it keeps floods cheap and visible.
 * Successful sign-ins are not counted: a household behind one address must not lock itself out.
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

  private current(key: string): { start: number; n: number } | undefined {
    const c = this.counts.get(key);
    if (c && this.now() - c.start >= this.windowMs) {
      this.counts.delete(key);
      return undefined;
    }
    return c;
  }

  /** True when `key` has used up its failures for this window (then nothing is tried). */
  blocked(key: string): boolean {
    return (this.current(key)?.n ?? 0) >= this.max;
  }

  /** Records a failed attempt from `key`. */
  failed(key: string): void {
    const now = this.now();
    if (this.counts.size > 10_000) {
      for (const [k, c] of this.counts) if (now - c.start >= this.windowMs) this.counts.delete(k);
    }
    const c = this.current(key);
    if (c) c.n += 1;
    else this.counts.set(key, { start: now, n: 1 });
  }

  /** Seconds until `key` may try again (0 when it may now). */
  retryAfter(key: string): number {
    const c = this.current(key);
    if (!c || c.n < this.max) return 0;
    return Math.max(1, Math.ceil((c.start + this.windowMs - this.now()) / 1000));
  }
}
