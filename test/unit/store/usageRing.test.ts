// The usage rings: the hour at full resolution, the day in 5-minute buckets (means and sums), bounded, sorted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addSample,
  BUCKET_S,
  DAY_S,
  dayPoints,
  emptySeries,
  HOUR_S,
  hourPoints,
  isRecent,
  MAX_HOUR_POINTS,
  type Series,
} from '../../../src/store/usageRing.js';

const T0 = 1_800_000_000 - (1_800_000_000 % BUCKET_S); // a bucket boundary

function fill(
  from: number,
  count: number,
  step: number,
  value: (i: number) => number[],
  how: 'mean' | 'sum',
) {
  let s: Series = emptySeries();
  for (let i = 0; i < count; i++) s = addSample(s, from + i * step, value(i), how);
  return s;
}

describe('usage ring', () => {
  it('keeps the last hour at full resolution and drops older points', () => {
    const s = fill(T0, 200, 30, (i) => [i, 1000 + i], 'mean');
    const hour = hourPoints(s);
    assert.equal(hour.length, HOUR_S / 30);
    assert.equal(hour.at(-1)!.at, (T0 + 199 * 30) * 1000);
    assert.deepEqual(hour.at(-1)!.values, [199, 1199]);
    assert.ok(hour[0]!.at > (T0 + 199 * 30 - HOUR_S) * 1000);
  });

  it('averages levels and sums counts within a 5-minute bucket', () => {
    const levels = fill(T0, 10, 30, (i) => [i, 100], 'mean');
    assert.equal(levels.day.length, 1);
    assert.deepEqual(dayPoints(levels)[0], { at: T0 * 1000, values: [4.5, 100] });
    assert.equal(levels.day[0]![1], 10);
    const counts = fill(T0, 12, 30, () => [3, 1], 'sum');
    assert.deepEqual(
      counts.day.map((p) => p.slice(2)),
      [
        [30, 10],
        [6, 2],
      ],
    );
  });

  it('stays bounded: 288 buckets a day, at most MAX_HOUR_POINTS points an hour', () => {
    const s = fill(T0, 3 * 2880, 30, () => [1, 2], 'mean'); // three days
    assert.ok(s.day.length <= DAY_S / BUCKET_S);
    assert.ok(s.day[0]![0]! > T0 + 3 * 2880 * 30 - DAY_S - BUCKET_S);
    const dense = fill(T0, 2000, 1, () => [1], 'mean');
    assert.equal(dense.hour.length, MAX_HOUR_POINTS);
    assert.ok(JSON.stringify(s).length < 20_000, 'a day of one series is a few KB');
  });

  it('ignores a sample not later than the last one (a clock set back)', () => {
    const s = fill(T0, 3, 30, (i) => [i], 'mean');
    assert.equal(addSample(s, T0 + 30, [99], 'mean'), s);
  });

  it('rounds values to two decimals and tells a series idle for a day', () => {
    const s = addSample(emptySeries(), T0, [1.23456, 7], 'mean');
    assert.deepEqual(s.hour[0], [T0, 1.23, 7]);
    assert.equal(isRecent(s, T0 + 60), true);
    assert.equal(isRecent(s, T0 + DAY_S + BUCKET_S), false);
    assert.equal(isRecent(emptySeries(), T0), false);
  });
});
