// The pictures of the box: the overview's and each resource page's CPU and memory charts, volume sizes, the box's
// disk, memory and load, requests and 5xx per route, and backup ages, read from what the daemon sampled.
import { snapshotsOf } from '../../data/commands.js';
import { type BoxStats, readBoxStats } from '../../drivers/host/boxStats.js';
import { ageText } from '../../engine/backupAges.js';
import type { ResourceStatus } from '../../engine/statusView.js';
import { DEFAULT_SAMPLE_INTERVAL_S } from '../../reconcile/index.js';
import type { UsageDoc } from '../../store/usage.js';
import { DAY_S, dayPoints, HOUR_S, hourPoints, sumPoints, type UsagePoint } from '../../store/usageRing.js';
import { bytesText, lineChart, percentText, usageBar } from './charts.js';
import type { DashboardContext } from './context.js';
import { ago, type Html, html } from './html.js';
import { type RouteRow, trafficSection } from './traffic.js';

export { sumPoints } from '../../store/usageRing.js';
export { trafficSummary } from './traffic.js';

/** What the sections show: the sampled usage (undefined before the first sample), the box now, snapshots. */
export interface UsageView {
  usage: UsageDoc | undefined;
  box: BoxStats | undefined;
  /** Per volume: snapshots kept and their total size in bytes. */
  snapshots: Record<string, { count: number; bytes: number }>;
  now: number;
}

/** Reads the usage file, the box's figures and the snapshots of the resources `visible` allows. */
export async function usageView(ctx: DashboardContext, visible: (id: string) => boolean): Promise<UsageView> {
  const [usage, box, snaps] = await Promise.all([
    ctx.engine.stores.usage.read().catch(() => undefined),
    readBoxStats(ctx.engine.settings.dataDir).catch(() => undefined),
    snapshotsOf(ctx.engine).catch(() => []),
  ]);
  const snapshots: UsageView['snapshots'] = {};
  for (const s of snaps) {
    if (!visible(s.resource)) continue;
    const t = snapshots[s.volume] ?? { count: 0, bytes: 0 };
    snapshots[s.volume] = { count: t.count + 1, bytes: t.bytes + s.bytes };
  }
  return { usage, box, snapshots, now: Date.now() };
}

const interval = (v: UsageView) => v.usage?.intervalSeconds || DEFAULT_SAMPLE_INTERVAL_S;

function noSamples(v: UsageView): Html {
  return html`<p class="muted">No samples yet: the daemon samples every ${interval(v)} s (HIY_SAMPLE_INTERVAL; none without <code>hiy daemon</code>).</p>`;
}

/** CPU and memory over the last hour and the last day: four charts. */
function usageCharts(v: UsageView, hour: UsagePoint[], day: UsagePoint[], what: string): Html {
  const gap = interval(v) * 2500;
  const pick = (pts: UsagePoint[], i: number) => pts.map((p) => ({ at: p.at, value: p.values[i] ?? 0 }));
  const hourWin = { from: v.now - HOUR_S * 1000, to: v.now, gapMs: gap };
  const dayWin = { from: v.now - DAY_S * 1000, to: v.now, gapMs: Math.max(gap, 600_000) };
  return html`<div class="charts">
${lineChart({ ...hourWin, title: `CPU of ${what}, last hour (% of one core)`, points: pick(hour, 0), format: percentText, minTop: 1 })}
${lineChart({ ...dayWin, title: `CPU of ${what}, last day`, points: pick(day, 0), format: percentText, minTop: 1 })}
${lineChart({ ...hourWin, title: `Memory of ${what}, last hour`, points: pick(hour, 1), format: bytesText, minTop: 16 * 2 ** 20 })}
${lineChart({ ...dayWin, title: `Memory of ${what}, last day`, points: pick(day, 1), format: bytesText, minTop: 16 * 2 ** 20 })}
</div>`;
}

function volumeTable(v: UsageView, names: string[]): Html {
  if (names.length === 0) return html`<p class="muted">No volumes.</p>`;
  const rows = names.map((name) => {
    const size = v.usage?.volumes[name];
    const snaps = v.snapshots[name];
    return html`<tr><td><code>${name}</code></td><td>${size ? html`${bytesText(size.bytes)} <span class="muted">(${size.files} files, measured ${ago(size.at, v.now)})</span>` : html`<span class="muted">not measured yet (every 10 min)</span>`}</td><td>${snaps ? `${snaps.count} (${bytesText(snaps.bytes)})` : html`<span class="muted">none</span>`}</td></tr>`;
  });
  return html`<div class="wrap"><table><thead><tr><th scope="col">Volume</th><th scope="col">Size</th><th scope="col">Snapshots (total)</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** The box's cards; what the last sample could not read only for `showProblems` (it may name any container). */
function boxCards(v: UsageView, showProblems: boolean): Html {
  const b = v.box;
  if (!b) return html`<p class="muted">The box's figures could not be read.</p>`;
  const memUsed = b.memory.totalBytes - b.memory.availableBytes;
  const diskLabel = `${bytesText(b.disk.usedBytes)} of ${bytesText(b.disk.totalBytes)} used, ${bytesText(b.disk.freeBytes)} free`;
  const memLabel = `${bytesText(memUsed)} of ${bytesText(b.memory.totalBytes)} used, ${bytesText(b.memory.availableBytes)} available`;
  const problems = showProblems ? (v.usage?.problems ?? []) : [];
  return html`<div class="cards box">
<div class="card"><b>Disk (data directory)</b>${usageBar(b.disk.usedBytes, b.disk.totalBytes, diskLabel)}<div>${diskLabel}</div></div>
<div class="card"><b>Memory</b>${usageBar(memUsed, b.memory.totalBytes, memLabel)}<div>${memLabel}</div></div>
<div class="card"><b>Load</b>${b.load.map((l) => l.toFixed(2)).join(' · ')} <span class="muted">(1, 5, 15 min; ${b.cores} cores)</span></div>
<div class="card"><b>Samples</b>${v.usage?.sampledAt ? html`last ${ago(v.usage.sampledAt, v.now)}, every ${interval(v)} s` : html`<span class="muted">none yet</span>`}${problems.map((p) => html`<div class="warn">${p}</div>`)}</div>
</div>`;
}

function backupTable(v: UsageView, resources: ResourceStatus[]): Html {
  const withBackup = resources.filter((r) => r.backup);
  if (withBackup.length === 0) return html``;
  const now = new Date(v.now);
  return html`<h2 id="backups">Offsite backups</h2><div class="wrap"><table><thead><tr><th scope="col">Resource</th><th scope="col">Last backup</th><th scope="col">Last passing drill</th></tr></thead><tbody>${withBackup.map(
    (r) =>
      html`<tr><td><a href="/r/${r.id}">${r.id}</a></td><td class="${r.backup!.stale ? 'bad' : 'ok'}">${ageText(r.backup!.lastBackupAt, now)}</td><td class="${r.backup!.drillStale ? 'warn' : 'ok'}">${ageText(r.backup!.lastDrillPassedAt, now)}</td></tr>`,
  )}</tbody></table></div>`;
}

/** A resource's routes as the traffic section lists them (`host/path`, the key of their series). */
const routesOf = (r: ResourceStatus): RouteRow[] => r.routes.map((key) => ({ key, resource: r.id }));

/** The overview's pictures for the resources the viewer may see; `showAll`: the viewer may read `*`. */
export function overviewUsage(v: UsageView, resources: ResourceStatus[], showAll: boolean): Html {
  const ids = resources.map((r) => r.id);
  const series = ids.flatMap((id) => (v.usage?.resources[id] ? [v.usage.resources[id]] : []));
  const rows = ids.flatMap((id) => {
    const last = v.usage?.resources[id]?.hour.at(-1);
    return last && last[0]! * 1000 > v.now - 3 * interval(v) * 1000
      ? [
          html`<tr><td><a href="/r/${id}">${id}</a></td><td>${percentText(last[1] ?? 0)}</td><td>${bytesText(last[2] ?? 0)}</td></tr>`,
        ]
      : [];
  });
  const volumes = Object.entries(v.usage?.volumes ?? {})
    .filter(([, s]) => ids.includes(s.resource))
    .map(([name]) => name)
    .sort();
  const routes = resources.flatMap(routesOf);
  return html`<h2 id="box">The box</h2>
${boxCards(v, showAll)}
<h2 id="usage">CPU and memory</h2>
${
  series.length === 0
    ? noSamples(v)
    : html`${usageCharts(v, sumPoints(series.map(hourPoints)), sumPoints(series.map(dayPoints)), 'all containers')}
${rows.length ? html`<div class="wrap"><table><thead><tr><th scope="col">Resource</th><th scope="col">CPU now</th><th scope="col">Memory now</th></tr></thead><tbody>${rows}</tbody></table></div>` : ''}`
}
<h2 id="traffic">Requests</h2>
${trafficSection(v, routes, { withResource: true, showAll, what: 'all routes' })}
<h2 id="volumes">Volumes</h2>
${volumeTable(v, volumes)}
${backupTable(v, resources)}`;
}

/** A resource page's pictures: its CPU and memory charts, its routes' requests, its volumes' sizes. */
export function resourceUsage(v: UsageView, status: ResourceStatus | undefined, volumes: string[]): Html {
  const series = status ? v.usage?.resources[status.id] : undefined;
  const routes = status ? routesOf(status) : [];
  return html`<h2 id="usage">CPU and memory</h2>
${series ? usageCharts(v, hourPoints(series), dayPoints(series), 'this resource') : noSamples(v)}
${
  routes.length
    ? html`<h2 id="traffic">Requests</h2>${trafficSection(v, routes, { withResource: false, showAll: false, what: 'this resource' })}`
    : ''
}
<h2 id="volume-sizes">Volumes</h2>
${volumeTable(v, volumes)}`;
}
