// The SVG charts: paths broken at gaps and clipped to the window, a text alternative, no inline style; the
// overview's and a resource page's pictures from a usage file, and their empty states.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceStatus } from '../../../../src/engine/statusView.js';
import {
  bytesText,
  chartPath,
  lineChart,
  percentText,
  usageBar,
} from '../../../../src/server/dashboard/charts.js';
import {
  overviewUsage,
  resourceUsage,
  sumPoints,
  trafficSummary,
  type UsageView,
} from '../../../../src/server/dashboard/usage.js';
import { emptyUsage } from '../../../../src/store/usage.js';
import { addSample, emptySeries } from '../../../../src/store/usageRing.js';

const NOW = 1_800_000_000_000;

describe('charts', () => {
  it('draws one path, starting anew after a gap, leaving out points outside the window', () => {
    const d = chartPath(
      {
        from: 0,
        to: 100,
        gapMs: 15,
        points: [
          { at: -5, value: 1 },
          { at: 0, value: 0 },
          { at: 10, value: 5 },
          { at: 50, value: 10 },
          { at: 60, value: 10 },
          { at: 200, value: 1 },
        ],
      },
      { width: 100, height: 10, top: 10 },
    );
    assert.equal(d, 'M0 10L10 5M50 0L60 0');
    const alone = chartPath(
      {
        from: 0,
        to: 100,
        gapMs: 15,
        points: [
          { at: 10, value: 5 },
          { at: 50, value: 10 },
        ],
      },
      { width: 100, height: 10, top: 10 },
    );
    assert.equal(alone, 'M10 5l2 0M50 0l2 0', 'a point alone between gaps is drawn as a short stroke');
  });

  it('renders an accessible SVG with its latest and highest values, and no inline style', () => {
    const svg = lineChart({
      title: 'CPU, last hour',
      from: NOW - 3_600_000,
      to: NOW,
      gapMs: 75_000,
      points: [
        { at: NOW - 60_000, value: 40 },
        { at: NOW - 30_000, value: 2.5 },
      ],
      format: percentText,
      minTop: 1,
    }).text;
    assert.match(svg, /<svg [^>]*role="img" aria-label="CPU, last hour: now 2.5 %, highest 40 %"/);
    assert.match(svg, /<path class="chart-line" d="M[\d. ]+L[\d. ]+"\/>/);
    assert.match(svg, /<figcaption>CPU, last hour: <b>2.5 %<\/b><\/figcaption>/);
    assert.doesNotMatch(svg, /style=|<script/);
  });

  it('says when a window has no samples, and escapes the title', () => {
    const svg = lineChart({
      title: 'Memory of <x>',
      from: 0,
      to: 1000,
      gapMs: 10,
      points: [],
      format: bytesText,
      minTop: 1,
    }).text;
    assert.match(svg, /no samples yet/);
    assert.match(svg, /Memory of &lt;x&gt;: no samples in this window/);
    assert.doesNotMatch(svg, /chart-line/);
  });

  it('formats bytes and shares, and colours a bar by how full it is', () => {
    assert.equal(bytesText(512), '512 B');
    assert.equal(bytesText(3.5 * 1024), '3.5 KiB');
    assert.equal(bytesText(300 * 2 ** 20), '300 MiB');
    assert.equal(percentText(0.25), '0.3 %');
    assert.equal(percentText(55.4), '55 %');
    assert.match(usageBar(95, 100, 'disk').text, /class="bar-fill bad" x="0" y="0" width="190"/);
    assert.match(usageBar(10, 100, 'disk').text, /bar-fill ok/);
  });
});

function status(id: string, routes: string[] = []): ResourceStatus {
  return { id, routes, conditions: [], inStateRepo: true } as unknown as ResourceStatus;
}

function view(): UsageView {
  const usage = emptyUsage(30);
  let a = emptySeries();
  let b = emptySeries();
  let r = emptySeries();
  for (let i = 0; i < 10; i++) {
    const t = NOW / 1000 - 300 + i * 30;
    a = addSample(a, t, [10, 100 * 2 ** 20], 'mean');
    b = addSample(b, t, [5, 50 * 2 ** 20], 'mean');
    r = addSample(r, t, [30, i === 9 ? 3 : 0, 30 * 12], 'sum');
  }
  usage.resources = { 'app/a': a, 'port/b': b };
  usage.routes = { 'a.example/': r, '(no route)': r };
  usage.volumes = {
    'hiy-b-data': { resource: 'port/b', bytes: 5 * 2 ** 20, files: 3, at: new Date(NOW).toISOString() },
  };
  usage.sampledAt = new Date(NOW).toISOString();
  return {
    usage,
    box: {
      disk: { totalBytes: 100 * 2 ** 30, freeBytes: 40 * 2 ** 30, usedBytes: 60 * 2 ** 30 },
      memory: { totalBytes: 8 * 2 ** 30, availableBytes: 6 * 2 ** 30 },
      load: [0.5, 0.25, 0.125],
      cores: 2,
    },
    snapshots: { 'hiy-b-data': { count: 2, bytes: 2048 } },
    now: NOW,
  };
}

describe('usage sections', () => {
  it('sums the resources that share a sample time', () => {
    assert.deepEqual(
      sumPoints([
        [{ at: 1, values: [1, 10] }],
        [
          { at: 1, values: [2, 20] },
          { at: 2, values: [3, 30] },
        ],
      ]),
      [
        { at: 1, values: [3, 30] },
        { at: 2, values: [3, 30] },
      ],
    );
  });

  it('turns a route series into requests per minute, 5xx and the mean time', () => {
    const t = trafficSummary(view().usage!.routes['a.example/'], 30)!;
    assert.equal(t.requests, 300);
    assert.equal(t.errors, 3);
    assert.equal(t.meanMs, 12);
    assert.equal(t.perMinute, 60); // 300 requests over 4.5 min between the first and last sample + one interval
  });

  it('the overview shows the box, the charts of what the viewer may see, requests, volumes', () => {
    const text = overviewUsage(view(), [status('app/a', ['a.example/']), status('port/b')], true).text;
    assert.match(text, /Disk \(data directory\)/);
    assert.match(text, /60\.0 GiB of 100 GiB used/);
    assert.match(text, /0\.50 · 0\.25 · 0\.13/);
    assert.equal((text.match(/<svg [^>]*role="img"/g) ?? []).length, 10); // 4 + 4 charts, 2 bars
    assert.match(text, /CPU of all containers, last hour \(% of one core\): now 15 %/);
    assert.match(
      text,
      /<code>a\.example\/<\/code><\/td><td><a href="\/r\/app\/a">app\/a<\/a><\/td><td>60 \/min \(300\)<\/td><td class="bad">3 \(1\.0 %\)<\/td><td>12 ms/,
    );
    // The routes' sum per minute: 30 requests every 30 s, twice (the route and the requests for no route).
    assert.match(text, /Requests to all routes, last hour \(per minute\): now 120 \/min/);
    assert.match(text, /Server errors \(5xx\) of all routes, last hour \(per minute\): now 12 \/min/);
    assert.match(text, /requests for no route of HIY's/);
    assert.match(text, /<code>hiy-b-data<\/code><\/td><td>5\.0 MiB/);
    assert.match(text, /2 \(2\.0 KiB\)/);
    const narrow = overviewUsage(view(), [status('app/a')], false).text;
    assert.match(narrow, /CPU of all containers, last hour \(% of one core\): now 10 %/);
    assert.doesNotMatch(narrow, /hiy-b-data/);
    assert.doesNotMatch(narrow, /no route/, 'requests for any host only for those who may read *');
  });

  it('lists the age of the last backup and passing drill where backups exist', () => {
    const hour = new Date(NOW - 3_600_000).toISOString();
    const withBackup = {
      ...status('port/b'),
      backup: { backups: ['nightly'], lastBackupAt: hour, stale: undefined },
    } as unknown as ResourceStatus;
    const text = overviewUsage(view(), [status('app/a'), withBackup], true).text;
    assert.match(text, /<h2 id="backups">Offsite backups<\/h2>/);
    assert.match(
      text,
      /<a href="\/r\/port\/b">port\/b<\/a><\/td><td class="ok">1 h ago<\/td><td class="ok">never<\/td>/,
    );
    assert.doesNotMatch(overviewUsage(view(), [status('app/a')], true).text, /Offsite backups/);
  });

  it('empty states explain themselves', () => {
    const empty: UsageView = { usage: undefined, box: undefined, snapshots: {}, now: NOW };
    const text = overviewUsage(empty, [status('app/a', ['a.example/'])], true).text;
    assert.match(text, /No samples yet: the daemon samples every 30 s/);
    assert.match(text, /No requests counted yet/);
    const page = resourceUsage(empty, status('port/b'), ['hiy-b-data']).text;
    assert.match(page, /No samples yet/);
    assert.match(page, /not measured yet/);
  });

  it('a resource page shows its own charts and volumes', () => {
    const text = resourceUsage(view(), status('port/b'), ['hiy-b-data']).text;
    assert.match(text, /CPU of this resource, last hour \(% of one core\): now 5\.0 %/);
    assert.match(text, /Memory of this resource, last day/);
    assert.match(text, /5\.0 MiB/);
  });

  it("a resource page shows its routes' requests and errors, and none of another's", () => {
    const text = resourceUsage(view(), status('app/a', ['a.example/', 'a.example/quiet']), []).text;
    assert.match(text, /Requests to this resource, last hour \(per minute\): now 60 \/min/);
    assert.match(text, /Server errors \(5xx\) of this resource, last day/);
    assert.match(
      text,
      /<code>a\.example\/<\/code><\/td><td>60 \/min \(300\)<\/td><td class="bad">3 \(1\.0 %\)/,
    );
    assert.match(text, /<code>a\.example\/quiet<\/code><\/td><td><span class="muted">no samples yet/);
    assert.doesNotMatch(text, /no route/);
  });
});
