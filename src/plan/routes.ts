// The routes part of a plan: HIY's whole Caddy state after the plan, and the route changes against what Caddy has. Pure.
import { objectNames } from '../model/names.js';
import { accessLogFile, type ProxyRoute, type ProxyState, sortRoutes } from '../model/routing.js';
import type { Settings } from '../model/settings.js';
import { canonicalJson } from '../model/workload.js';
import type { ObservedState } from '../observed/types.js';
import { compact, diff } from './containerSpec.js';
import type { RouteChange } from './types.js';

/** The settings that decide HIY's Caddy server. */
export type ProxySettings = Pick<Settings, 'instance' | 'httpAddr' | 'httpsAddr' | 'tls' | 'acme'> &
  Partial<Pick<Settings, 'dataDir'>>;

/**
 * HIY's Caddy server with these routes, in the order Caddy must try them (see sortRoutes), and its access log
 * in the data directory (the dashboard's requests per route) when the settings name one.
 */
export function desiredProxyState(settings: ProxySettings, routes: ProxyRoute[]): ProxyState {
  const server = objectNames(settings.instance).caddyServer;
  const accessLog = settings.dataDir ? { accessLog: accessLogFile(settings.dataDir) } : {};
  if (settings.tls === 'off')
    return {
      server,
      listen: [settings.httpAddr],
      tls: 'off',
      // Plain HTTP serves no certificate: a route's tls.certificate waits for HIY_TLS to be on.
      routes: sortRoutes(routes.map(({ certificate: _, ...r }) => r)),
      ...accessLog,
    };
  routes = withHostCertificates(routes);
  return {
    server,
    listen: [settings.httpsAddr],
    redirectListen: [settings.httpAddr],
    tls: settings.tls,
    ...(settings.tls === 'acme' && settings.acme ? { acme: settings.acme } : {}),
    routes: sortRoutes(routes),
    ...accessLog,
  };
}

/**
 * Caddy picks a certificate by host name (SNI), not by route: a certificate one route of a host brings serves
 * every route of that host, so each of them carries it (the first by match order when two differ, which the
 * state repo's check refuses).
 */
function withHostCertificates(routes: ProxyRoute[]): ProxyRoute[] {
  const byHost = new Map<string, NonNullable<ProxyRoute['certificate']>>();
  for (const r of sortRoutes(routes))
    if (r.certificate && !byHost.has(r.host)) byHost.set(r.host, r.certificate);
  return routes.map((r) => {
    const cert = byHost.get(r.host);
    return cert ? { ...r, certificate: { ...cert } } : r;
  });
}

function routeKey(r: ProxyRoute): string {
  const cert = r.certificate ? `${r.certificate.secret}:${r.certificate.digest}` : '';
  return `${r.host}\u0000${r.path}\u0000${r.upstream}\u0000${cert}`;
}

/** Same routes, in any order. */
export function routesEqual(a: ProxyRoute[], b: ProxyRoute[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(routeKey));
  return b.every((r) => keys.has(routeKey(r)));
}

/** True when Caddy tries the routes in the order HIY wants: most specific host, then longest path, first. */
function inMatchOrder(routes: ProxyRoute[]): boolean {
  const sorted = sortRoutes(routes);
  return routes.every((r, i) => routeKey(r) === routeKey(sorted[i]!));
}

/**
 * The route changes from what Caddy has to `proxy`: one per resource whose routes differ, and one for HIY's
 * server itself when it is missing, its listen addresses or TLS mode changed, its routes are out of match
 * order, or it was edited by hand.
 */
export function routeActions(proxy: ProxyState, observed: ObservedState): RouteChange[] {
  const out: RouteChange[] = [];
  const group = (routes: ProxyRoute[]) => {
    const m = new Map<ProxyRoute['resource'], ProxyRoute[]>();
    for (const r of routes) m.set(r.resource, [...(m.get(r.resource) ?? []), r]);
    return m;
  };
  const beforeBy = group(observed.proxy.state?.routes ?? []);
  const nowBy = group(proxy.routes);
  const resources = new Set([...beforeBy.keys(), ...nowBy.keys()]);
  for (const resource of [...resources].sort()) {
    const was = beforeBy.get(resource) ?? [];
    const now = nowBy.get(resource) ?? [];
    if (routesEqual(was, now)) continue;
    const change = was.length === 0 ? 'create' : now.length === 0 ? 'delete' : 'update';
    out.push({
      kind: 'route.change',
      address: `route/${resource}`,
      change,
      resource,
      reason:
        change === 'create'
          ? `${now.map((r) => r.host + r.path).join(', ')} not routed yet`
          : change === 'delete'
            ? `${resource} no longer has routes`
            : 'routes changed',
      routes: now,
      patch: diff({ routes: sortRoutes(was) }, { routes: sortRoutes(now) }),
      before: was.length ? sortRoutes(was) : null,
      after: now.length ? sortRoutes(now) : null,
    });
  }
  // The ACME issuer lives in the TLS policy of the route hosts: with no routes there is none to compare.
  const serverView = (s: ProxyState | undefined) =>
    s
      ? compact({
          listen: s.listen,
          redirectListen: s.redirectListen,
          tls: s.tls,
          acme: s.routes.length > 0 ? s.acme : undefined,
          accessLog: s.accessLog,
        })
      : null;
  const wantServer = proxy.routes.length > 0 || observed.proxy.present;
  const was = serverView(observed.proxy.state);
  const now = serverView(proxy);
  let reason: string | undefined;
  if (wantServer && !observed.proxy.present) reason = `HIY's Caddy server ${proxy.server} does not exist`;
  else if (wantServer && canonicalJson(was) !== canonicalJson(now))
    reason =
      canonicalJson({ ...was, accessLog: undefined }) === canonicalJson({ ...now, accessLog: undefined })
        ? `the access log of HIY's Caddy server changed (now ${proxy.accessLog ?? 'none'})`
        : 'listen addresses or TLS settings changed';
  else if (observed.proxy.state && !inMatchOrder(observed.proxy.state.routes))
    // Routes loaded by an older HIY, which sorted hosts by name: a wildcard could shadow an exact host.
    reason = 'routes are not in match order (exact hosts before wildcards, longer paths first)';
  else if (observed.proxy.present && !observed.proxy.pristine)
    reason = `HIY's Caddy server was edited outside HIY`;
  if (reason) {
    out.push({
      kind: 'route.change',
      address: `caddy/${proxy.server}`,
      change: observed.proxy.present ? 'update' : 'create',
      resource: 'caddy',
      reason,
      routes: [],
      patch: diff(was ?? {}, now),
      before: was,
      after: now,
    });
  }
  return out;
}
