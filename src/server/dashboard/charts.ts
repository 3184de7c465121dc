// Inline SVG charts, server-rendered and pure: no script, no external library, no inline style (the CSP forbids
// it); colours come from the stylesheet's classes, so light and dark themes both apply.
import { type Html, html, raw } from './html.js';

/** One line chart: points in a time window, broken where samples are missing. */
export interface ChartSpec {
  /** What it shows, e.g. `CPU, last hour`: the chart's accessible name with its latest and highest values. */
  title: string;
  points: readonly { at: number; value: number }[];
  /** The window shown, in ms since the epoch. */
  from: number;
  to: number;
  /** Points farther apart than this (ms) are not joined: the daemon was not sampling in between. */
  gapMs: number;
  /** A value as people read it (`12 %`, `340 MiB`). */
  format: (v: number) => string;
  /** The top of the scale is at least this (an idle container's 0.1 % is not drawn as a full chart). */
  minTop: number;
  /** Width and height in CSS pixels (the SVG scales down on narrow screens). */
  width?: number;
  height?: number;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The path of a line, `M` at every start and after every gap, clipped to the window; a point alone between gaps
 * gets a short stroke so that it shows.
 */
export function chartPath(
  spec: Pick<ChartSpec, 'points' | 'from' | 'to' | 'gapMs'>,
  box: { width: number; height: number; top: number },
): string {
  const span = Math.max(1, spec.to - spec.from);
  let d = '';
  let prev: number | undefined;
  let run = 0;
  for (const p of spec.points) {
    if (p.at < spec.from || p.at > spec.to) continue;
    const x = r1(((p.at - spec.from) / span) * box.width);
    const y = r1(box.height - (Math.min(p.value, box.top) / box.top) * box.height);
    const starts = prev === undefined || p.at - prev > spec.gapMs;
    if (starts && run === 1) d += 'l2 0';
    d += `${starts ? 'M' : 'L'}${x} ${y}`;
    run = starts ? 1 : run + 1;
    prev = p.at;
  }
  return run === 1 ? `${d}l2 0` : d;
}

/** A line chart with its scale's top, the window's start and end, and a text alternative. */
export function lineChart(spec: ChartSpec): Html {
  const width = spec.width ?? 320;
  const height = spec.height ?? 90;
  const plot = { width, height: height - 16, top: 0 };
  const shown = spec.points.filter((p) => p.at >= spec.from && p.at <= spec.to);
  const max = shown.reduce((m, p) => Math.max(m, p.value), 0);
  plot.top = Math.max(spec.minTop, max) * 1.1;
  const last = shown.at(-1);
  const label = last
    ? `${spec.title}: now ${spec.format(last.value)}, highest ${spec.format(max)}`
    : `${spec.title}: no samples in this window`;
  const d = chartPath(spec, plot);
  const fill = d ? raw(`<path class="chart-area" d="${areaPath(d, plot.height)}"/>`) : '';
  return html`<figure class="chart"><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${label}"><title>${label}</title>
<line class="chart-axis" x1="0" y1="${plot.height}" x2="${width}" y2="${plot.height}"/>${fill}${d ? raw(`<path class="chart-line" d="${d}"/>`) : ''}
<text class="chart-text" x="2" y="10">${spec.format(plot.top / 1.1)}</text><text class="chart-text" x="2" y="${height - 3}">${windowText(spec.to - spec.from)} ago</text><text class="chart-text" x="${width - 2}" y="${height - 3}" text-anchor="end">now</text>
${shown.length ? '' : html`<text class="chart-text" x="${width / 2}" y="${plot.height / 2}" text-anchor="middle">no samples yet</text>`}</svg><figcaption>${spec.title}${last ? html`: <b>${spec.format(last.value)}</b>` : ''}</figcaption></figure>`;
}

/** The area under each segment of a line path: each `M…` run closed down to the axis. */
function areaPath(line: string, bottom: number): string {
  return line
    .split('M')
    .filter((s) => s !== '')
    .map((seg) => {
      const pts = seg.split('L');
      const first = pts[0]!.split(' ')[0];
      const lastX = pts.at(-1)!.split(' ')[0];
      return `M${first} ${bottom}L${seg}L${lastX} ${bottom}Z`;
    })
    .join('');
}

/** A horizontal bar of `used` out of `total` (disk, memory), with the figures as its text alternative. */
export function usageBar(used: number, total: number, label: string): Html {
  const share = total > 0 ? Math.min(1, Math.max(0, used / total)) : 0;
  const cls = share >= 0.9 ? 'bad' : share >= 0.75 ? 'warn' : 'ok';
  return html`<svg class="bar" viewBox="0 0 200 8" width="200" height="8" role="img" aria-label="${label}"><title>${label}</title><rect class="bar-track" x="0" y="0" width="200" height="8" rx="2"/><rect class="bar-fill ${cls}" x="0" y="0" width="${r1(share * 200)}" height="8" rx="2"/></svg>`;
}

/** `1 h`, `24 h`, `30 min`: a window's length. */
export function windowText(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min % 60 === 0 ? `${min / 60} h` : `${min} min`;
}

/** Bytes as people read them: `512 B`, `3.4 KiB`, `120 MiB`, `1.2 GiB`. */
export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 || v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** A CPU share in % of one core: `0.4 %`, `12 %`. */
export function percentText(v: number): string {
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} %`;
}
