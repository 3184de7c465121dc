// Shared helpers of the benchmarks: timing, statistics, results and a cleanup stack that also runs on Ctrl-C.
import { performance } from 'node:perf_hooks';

export interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

/** One row of the results table (and of bench/results/latest.json). Times are milliseconds. */
export interface Result {
  name: string;
  /** The benchmark group (`--only` matches it or the row name). */
  group: string;
  samplesMs: number[];
  stats: Stats;
  /** Human-readable target, e.g. `median ≤ 50 ms`; empty for informational rows. */
  target: string;
  verdict: 'pass' | 'FAIL' | 'info';
  note: string;
  extra?: Record<string, unknown>;
  /** Unit of samples and stats: milliseconds (default), MiB, or percent of one CPU. */
  unit?: 'ms' | 'MiB' | '%';
}

export interface BenchContext {
  quick: boolean;
  log(message: string): void;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0)
    return { n, median: Number.NaN, p90: Number.NaN, min: Number.NaN, max: Number.NaN, mean: Number.NaN };
  const q = (p: number) => {
    // Linear interpolation between closest ranks.
    const pos = (n - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  };
  return {
    n,
    median: q(0.5),
    p90: q(0.9),
    min: s[0]!,
    max: s[n - 1]!,
    mean: s.reduce((a, b) => a + b, 0) / n,
  };
}

/** Wall time of fn in milliseconds, with its value. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/**
 * Times a `git push` (PUSH) from its start to the first 200 with the new TEXT (GET), polled every POLL ms while the
 * push runs (Caddy switches before the old container is retired and before git updates the ref). Throws when the
 * push ends without serving it, or fails.
 */
export async function timePushUntilServing(
  push: () => Promise<{ code: number; stderr: string }>,
  get: () => Promise<{ status: number; body: string }>,
  text: string,
  pollMs: number,
): Promise<{ ms: number }> {
  let pushing: Promise<{ code: number; stderr: string }> | undefined;
  const total = await timed(async () => {
    pushing = push();
    let done = false;
    void pushing.then(() => {
      done = true;
    });
    for (;;) {
      const got = await get().catch(() => ({ status: 0, body: '' }));
      if (got.status === 200 && got.body.trim() === text) return;
      if (done) {
        const r = await pushing;
        throw new Error(`the push ended (exit ${r.code}) without serving the new content: ${r.stderr}`);
      }
      await new Promise((res) => setTimeout(res, pollMs));
    }
  });
  const pushed = await pushing!;
  if (pushed.code !== 0) throw new Error(`push failed: ${pushed.stderr}`);
  return total;
}

/** A value in its row's unit. */
export function fmtValue(v: number, unit: Result['unit'] = 'ms'): string {
  if (!Number.isFinite(v)) return '-';
  if (unit === 'MiB') return `${v.toFixed(1)} MiB`;
  if (unit === '%') return `${v.toFixed(2)} %`;
  return fmtMs(v);
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

// Cleanups registered by the benchmarks, newest first; run by `finally` blocks and on SIGINT/SIGTERM.
const cleanups = new Set<{ what: string; fn: () => Promise<void> }>();

/** Runs `body` and then `cleanup`, even when body throws or the process is interrupted. */
export async function withCleanup<T>(
  what: string,
  cleanup: () => Promise<void>,
  body: () => Promise<T>,
): Promise<T> {
  const entry = { what, fn: cleanup };
  cleanups.add(entry);
  try {
    return await body();
  } finally {
    cleanups.delete(entry);
    await runOne(entry);
  }
}

async function runOne(entry: { what: string; fn: () => Promise<void> }): Promise<void> {
  try {
    await entry.fn();
  } catch (err) {
    process.stderr.write(
      `bench: cleanup of ${entry.what} failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
  }
}

let interrupted = false;
/** On SIGINT/SIGTERM: run the pending cleanups (newest first), then exit 130. */
export function installSignalCleanup(): void {
  const handler = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, cleaning up ${cleanups.size} thing(s)...\n`);
    void (async () => {
      for (const entry of [...cleanups].reverse()) await runOne(entry);
      process.exit(130);
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
