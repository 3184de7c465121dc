// Requests per route on the dashboard: the overview's and a resource page's request and 5xx rates over the last
// hour and day, and a table per route (requests per minute, server errors, mean time), from the sampled access log.
import { NO_ROUTE } from '../../drivers/caddy/routeTraffic.js';
import { DEFAULT_SAMPLE_INTERVAL_S } from '../../reconcile/index.js';
import type { UsageDoc } from '../../store/usage.js';
import {
  BUCKET_S,
  DAY_S,
  dayPoints,
  HOUR_S,
  hourPoints,
  type Series,
  sumPoints,
  type UsagePoint,
} from '../../store/usageRing.js';
import { lineChart } from './charts.js';
import { type Html, html } from './html.js';

/** The figures the traffic sections need from the usage view. */
export interface TrafficView {
  usage: UsageDoc | undefined;
  now: number;
}

/** A route as the pages list it: its key (`host/path`, as `hiy status` shows routes) and its resource. */
export interface RouteRow {
  key: string;
  resource: string;
}

const interval = (v: TrafficView) => v.usage?.intervalSeconds || DEFAULT_SAMPLE_INTERVAL_S;

/** Requests per minute, 5xx and the mean time of a request over the last hour of a route's series. */
export function trafficSummary(
  series: Series | undefined,
  intervalSeconds: number,
): { perMinute: number; requests: number; errors: number; meanMs: number | undefined } | undefined {
  const pts = series ? hourPoints(series) : [];
  if (pts.length === 0) return undefined;
  const sum = (i: number) => pts.reduce((n, p) => n + (p.values[i] ?? 0), 0);
  const requests = sum(0);
  const minutes = (pts.at(-1)!.at - pts[0]!.at) / 60_000 + intervalSeconds / 60;
  const meanMs = requests > 0 ? sum(2) / requests : undefined;
  return { perMinute: requests / minutes, requests, errors: sum(1), meanMs };
}

const rateText = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} /min`;

/** Requests and 5xx per minute of `series` summed, over the last hour and the last day: four charts. */
export function trafficCharts(v: TrafficView, series: Series[], what: string): Html {
  const gap = interval(v) * 2500;
  const perMinute = (pts: UsagePoint[], i: number, seconds: number) =>
    pts.map((p) => ({ at: p.at, value: ((p.values[i] ?? 0) * 60) / seconds }));
  const hour = sumPoints(series.map(hourPoints));
  const day = sumPoints(series.map(dayPoints));
  const hourWin = { from: v.now - HOUR_S * 1000, to: v.now, gapMs: gap };
  const dayWin = { from: v.now - DAY_S * 1000, to: v.now, gapMs: Math.max(gap, 600_000) };
  const common = { format: rateText, minTop: 1 };
  return html`<div class="charts">
${lineChart({ ...hourWin, ...common, title: `Requests to ${what}, last hour (per minute)`, points: perMinute(hour, 0, interval(v)) })}
${lineChart({ ...dayWin, ...common, title: `Requests to ${what}, last day`, points: perMinute(day, 0, BUCKET_S) })}
${lineChart({ ...hourWin, ...common, title: `Server errors (5xx) of ${what}, last hour (per minute)`, points: perMinute(hour, 1, interval(v)) })}
${lineChart({ ...dayWin, ...common, title: `Server errors (5xx) of ${what}, last day`, points: perMinute(day, 1, BUCKET_S) })}
</div>`;
}

function trafficRows(v: TrafficView, routes: RouteRow[], withResource: boolean): Html[] {
  return routes.map(({ key, resource }) => {
    const t = trafficSummary(v.usage?.routes[key], interval(v));
    const errorShare = t && t.requests > 0 ? (t.errors / t.requests) * 100 : 0;
    const name =
      key === NO_ROUTE
        ? html`<span class="muted">requests for no route of HIY's</span>`
        : html`<code>${key}</code>`;
    return html`<tr><td>${name}</td>${withResource ? html`<td>${resource ? html`<a href="/r/${resource}">${resource}</a>` : ''}</td>` : ''}<td>${t ? `${rateText(t.perMinute)} (${t.requests})` : html`<span class="muted">no samples yet</span>`}</td><td class="${t && t.errors > 0 ? 'bad' : ''}">${t ? `${t.errors} (${errorShare.toFixed(1)} %)` : ''}</td><td>${t?.meanMs !== undefined ? `${t.meanMs < 10 ? t.meanMs.toFixed(1) : Math.round(t.meanMs)} ms` : ''}</td></tr>`;
  });
}

/**
 * The requests section: charts of the routes' sum (`what`), then one row per route with its last hour. `showAll`
 * adds the requests no route matched (any host could be named in them).
 */
export function trafficSection(
  v: TrafficView,
  routes: RouteRow[],
  opts: { withResource: boolean; showAll: boolean; what: string },
): Html {
  const rows = [...routes];
  if (opts.showAll && v.usage?.routes[NO_ROUTE]) rows.push({ key: NO_ROUTE, resource: '' });
  const series = rows.flatMap((r) => (v.usage?.routes[r.key] ? [v.usage.routes[r.key]!] : []));
  if (series.length === 0)
    return html`<p class="muted">No requests counted yet: the daemon reads Caddy's access log (<code>DATA_DIR/access-log/</code>) at every sample; counts start with the second sample.</p>`;
  return html`${trafficCharts(v, series, opts.what)}
<div class="wrap"><table><thead><tr><th scope="col">Route</th>${opts.withResource ? html`<th scope="col">Resource</th>` : ''}<th scope="col">Requests, last hour</th><th scope="col">Server errors (5xx)</th><th scope="col">Mean time</th></tr></thead><tbody>${trafficRows(v, rows, opts.withResource)}</tbody></table></div>`;
}
