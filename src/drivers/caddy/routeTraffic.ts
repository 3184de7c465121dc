// Access log entries counted per route: each request is given to the route Caddy matched it with (host, then the
// longest path prefix), as requests, 5xx answers and the sum of their durations. Pure.
import { type ProxyRoute, sortRoutes } from '../../model/routing.js';
import type { AccessEntry } from './accessLog.js';

/** The key of a route's series: `host` + `path`, as `hiy status` lists routes (`greeter.example.com/`). */
export function routeKey(r: Pick<ProxyRoute, 'host' | 'path'>): string {
  return `${r.host}${r.path}`;
}

/** The series key of requests no route of HIY's matched (an unknown host, say). */
export const NO_ROUTE = '(no route)';

/** A route's figures over an interval: requests, server errors (5xx), and their durations summed, in ms. */
export type RouteCounts = [requests: number, errors: number, durationMs: number];

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  if (!p.includes('*')) return p === host;
  const pl = p.split('.');
  const hl = host.split('.');
  return pl.length === hl.length && pl.every((label, i) => label === '*' || label === hl[i]);
}

function pathMatches(prefix: string, path: string): boolean {
  const p = prefix.replace(/\/+$/, '').toLowerCase();
  if (p === '') return true;
  const lower = path.toLowerCase();
  return lower === p || lower.startsWith(`${p}/`);
}

type RouteLike = Pick<ProxyRoute, 'host' | 'path' | 'resource'>;

const matches = (r: RouteLike, host: string, path: string) =>
  hostMatches(r.host, host) && pathMatches(r.path, path);

/** The route Caddy matches a request with: routes are tried most specific first (sortRoutes), as rendered. */
export function routeOfRequest(
  routes: readonly RouteLike[],
  host: string,
  path: string,
): RouteLike | undefined {
  return sortRoutes(routes as ProxyRoute[]).find((r) => matches(r, host, path));
}

/** The entries counted per route key; those no route matches under {@link NO_ROUTE}. */
export function countByRoute(
  entries: readonly AccessEntry[],
  routes: readonly RouteLike[],
): Record<string, RouteCounts> {
  const sorted = sortRoutes(routes as ProxyRoute[]);
  const out: Record<string, RouteCounts> = {};
  for (const e of entries) {
    const route = sorted.find((r) => matches(r, e.host, e.path));
    const key = route ? routeKey(route) : NO_ROUTE;
    const c = out[key] ?? [0, 0, 0];
    c[0] += 1;
    if (e.status >= 500) c[1] += 1;
    c[2] += e.duration * 1000;
    out[key] = c;
  }
  return out;
}
