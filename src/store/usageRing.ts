// Rings of usage samples, pure: the last hour at full resolution, the last day in 5-minute buckets, both bounded.

/** The span of the full-resolution ring, in seconds. */
export const HOUR_S = 3600;
/** The span of the downsampled ring, in seconds. */
export const DAY_S = 86_400;
/** One bucket of the downsampled ring, in seconds (288 buckets a day). */
export const BUCKET_S = 300;
/** At most this many full-resolution points, whatever the interval (720 = one every 5 s for an hour). */
export const MAX_HOUR_POINTS = 720;

/**
 * How the values of a bucket combine: `mean` for levels (CPU %, memory), `sum` for counts in an interval
 * (requests, errors).
 */
export type Combine = 'mean' | 'sum';

/**
 * One series on disk, compact: `hour` holds `[t, v1, v2…]` (t in seconds since the epoch), `day` holds
 * `[bucketStart, samples, v1, v2…]`. Both are sorted by time.
 */
export interface Series {
  hour: number[][];
  day: number[][];
}

/** A point as pages read it: its time (ms since the epoch) and its values. */
export interface UsagePoint {
  at: number;
  values: number[];
}

export function emptySeries(): Series {
  return { hour: [], day: [] };
}

/** Values rounded for storage: two decimals at most (a CPU %), whole numbers stay whole. */
function rounded(values: number[]): number[] {
  return values.map((v) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : 0));
}

/**
 * The series with one more sample at `t` (seconds): appended to the hour ring and folded into its day bucket.
 * Points older than the ring's span are dropped; a sample not later than the last one is ignored (a clock set
 * back), so both rings stay sorted.
 */
export function addSample(series: Series, t: number, values: number[], combine: Combine): Series {
  const last = series.hour.at(-1);
  if (last && t <= last[0]!) return series;
  const v = rounded(values);
  const hour = [...series.hour.filter((p) => p[0]! > t - HOUR_S), [t, ...v]].slice(-MAX_HOUR_POINTS);
  const start = Math.floor(t / BUCKET_S) * BUCKET_S;
  const day = series.day.filter((p) => p[0]! > t - DAY_S);
  const open = day.at(-1);
  if (open && open[0] === start) {
    const n = open[1]! + 1;
    const merged = v.map((x, i) => {
      const before = open[i + 2] ?? 0;
      return combine === 'sum' ? before + x : before + (x - before) / n;
    });
    day[day.length - 1] = [start, n, ...rounded(merged)];
  } else day.push([start, 1, ...v]);
  return { hour, day: day.slice(-(DAY_S / BUCKET_S)) };
}

/** Whether the series has a point in the last day before `t` (seconds); one without is dropped from the file. */
export function isRecent(series: Series, t: number): boolean {
  const last = series.day.at(-1) ?? series.hour.at(-1);
  return last !== undefined && last[0]! > t - DAY_S;
}

/** The last hour's points, at full resolution. */
export function hourPoints(series: Series): UsagePoint[] {
  return series.hour.map((p) => ({ at: p[0]! * 1000, values: p.slice(1) }));
}

/** The last day's points, one per 5-minute bucket, at the bucket's start (its middle may be in the future). */
export function dayPoints(series: Series): UsagePoint[] {
  return series.day.map((p) => ({ at: p[0]! * 1000, values: p.slice(2) }));
}

/** Sums several series' points that share a time (one sample of the daemon covers every resource and route). */
export function sumPoints(lists: UsagePoint[][]): UsagePoint[] {
  const byTime = new Map<number, number[]>();
  for (const list of lists)
    for (const p of list) {
      const acc = byTime.get(p.at) ?? p.values.map(() => 0);
      byTime.set(
        p.at,
        acc.map((x, i) => x + (p.values[i] ?? 0)),
      );
    }
  return [...byTime.entries()].sort(([a], [b]) => a - b).map(([at, values]) => ({ at, values }));
}
