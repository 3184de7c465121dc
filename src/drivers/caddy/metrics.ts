// Caddy's admin /metrics: the Prometheus text format parsed, and HTTP requests and errors summed per route host.
import type { ExternalCalls } from '../externalCalls.js';
import { type FetchLike, nodeFetch } from '../http/fetch.js';

/** One sample of the text format: `name{label="value",…} value`. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses a label set's inside (`a="1",b="x\"y"`); undefined when it is not well formed. */
function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    LABEL.lastIndex = at;
    const m = LABEL.exec(text);
    if (!m) return text.slice(at).trim() === '' ? labels : undefined;
    labels[m[1]!] = unescapeLabel(m[2]!);
    at = LABEL.lastIndex;
  }
  return labels;
}

/**
 * Parses the Prometheus text exposition format (version 0.0.4): comments and malformed lines are skipped,
 * `NaN` and `+Inf` are numbers like any other.
 */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = m[2] === undefined ? {} : parseLabels(m[2]);
    const value = Number(m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : m[3]);
    if (!labels || (Number.isNaN(value) && m[3] !== 'NaN')) continue;
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Requests answered and how many of them were server errors (5xx), since Caddy started (counters). */
export interface TrafficCounters {
  requests: number;
  errors: number;
}

/**
 * Requests and 5xx answers of one Caddy server, per host when Caddy labels its metrics by host (`per_host`,
 * Caddy 2.8 and later) and under the key `*` otherwise (Caddy 2.6 counts per server and handler only).
 * Every handler of a route counts the same request, so the route's figure is its busiest handler's.
 */
export function trafficByHost(samples: PromSample[], server: string): Record<string, TrafficCounters> {
  const perHandler = new Map<string, Map<string, TrafficCounters>>();
  for (const s of samples) {
    if (s.name !== 'caddy_http_request_duration_seconds_count' || s.labels.server !== server) continue;
    const host = s.labels.host ?? '*';
    const handlers = perHandler.get(host) ?? new Map<string, TrafficCounters>();
    perHandler.set(host, handlers);
    const key = s.labels.handler ?? '';
    const c = handlers.get(key) ?? { requests: 0, errors: 0 };
    c.requests += s.value;
    if (/^5\d\d$/.test(s.labels.code ?? '')) c.errors += s.value;
    handlers.set(key, c);
  }
  const out: Record<string, TrafficCounters> = {};
  for (const [host, handlers] of perHandler) {
    let best: TrafficCounters = { requests: 0, errors: 0 };
    for (const c of handlers.values()) if (c.requests > best.requests) best = c;
    out[host] = { requests: best.requests, errors: best.errors };
  }
  return out;
}

/** Reads Caddy's metrics text: one GET of the admin API's /metrics. */
export type ReadCaddyMetrics = () => Promise<string>;

/** {@link ReadCaddyMetrics} over the admin API; each read counts as one call to Caddy. */
export function caddyMetricsReader(opts: {
  adminUrl: string;
  fetch?: FetchLike;
  externalCalls?: ExternalCalls;
  timeoutMs?: number;
}): ReadCaddyMetrics {
  const url = `${opts.adminUrl.replace(/\/+$/, '')}/metrics`;
  const fetchFn = opts.fetch ?? nodeFetch;
  return async () => {
    opts.externalCalls?.count('caddy');
    const res = await fetchFn(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
    if (!res.ok) throw new Error(`Caddy's admin API answered ${res.status} to GET /metrics`);
    return res.text();
  };
}
