// Pure Caddy JSON for HIY's part of the config: render a ProxyState, merge it into a full config, read it back, check it.
import type { ResourceId } from '../../model/names.js';
import { type ProxyRoute, type ProxyState, sortRoutes } from '../../model/routing.js';
import type { AcmeSettings, TlsMode } from '../../model/settings.js';
import {
  accessLogFileOf,
  mergeAccessLog,
  ownedAccessLog,
  renderAccessLog,
  serverLogs,
} from './accessLogConfig.js';
import { isObject, type Json, objectAt, strings } from './json.js';
import {
  assignCertificates,
  mergeLoadedCertificates,
  ownedLoadedCertificates,
  renderLoadedCertificates,
} from './loadedCertificates.js';
import type { CaddyConfig, OwnedCaddyConfig } from './types.js';

export { isDialAddress, validateConfig, validateOwned } from './validate.js';
export type { OwnedCaddyConfig };

/** The parts of Caddy's config HIY owns: its servers (by name) and its TLS automation policies. */
/** HIY's part of a full config, parsed back; `pristine` is false after any hand edit. */
export interface ParsedOwned {
  /** HIY's server exists in the config. */
  present: boolean;
  state?: ProxyState;
  /** What is in Caddy is exactly `renderProxy(state)` (with nothing of HIY's when absent). */
  pristine: boolean;
}

/** Name of the server that redirects plain HTTP to HTTPS when TLS is on. */
export function redirectServerName(server: string): string {
  return `${server}-redirect`;
}

/** `@id` of the TLS automation policy HIY adds for `tls: internal`. */
export function tlsPolicyId(server: string): string {
  return `${server}-tls-internal`;
}

/** The server names HIY owns for `server`, as `mergeOwned` wants them. */
export function ownedServerNames(server: string): string[] {
  return [server, redirectServerName(server)];
}

/**
 * Renders what HIY owns in Caddy for `state`. Caddy tries routes in order and each is terminal, so they are
 * rendered most specific first (`sortRoutes`: exact hosts before wildcards, longer paths first), whatever
 * order `state` lists them in.
 */
export function renderProxy(state: ProxyState): OwnedCaddyConfig {
  const seen = new Map<string, number>();
  const routes = sortRoutes(state.routes).map((r) => {
    const base = routeId(state.server, r);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return renderRoute(n === 1 ? base : `${base}~${n}`, r);
  });
  // The tag keeps the TLS mode readable when nothing else shows it (internal with no routes renders no policy).
  const main: Json = { '@id': serverTag(state.server, state.tls), listen: [...state.listen], routes };
  // The access log is what the dashboard counts requests per route from (Caddy 2.6's metrics know no hosts).
  if (state.accessLog) main['logs'] = serverLogs(state.server);
  const servers: Record<string, unknown> = { [state.server]: main };
  const tlsPolicies: unknown[] = [];
  if (state.tls === 'off') {
    main['automatic_https'] = { disable: true };
  } else {
    // Our own redirect server (if any) replaces Caddy's, which would listen on :80 regardless of HIY's settings.
    main['automatic_https'] = { disable_redirects: true };
    if (state.redirectListen) {
      servers[redirectServerName(state.server)] = renderRedirectServer(state.server, state.redirectListen);
    }
    // Hosts with a certificate of their own are left out of the issuer's policy: Caddy serves the loaded one.
    const subjects = [...new Set(state.routes.filter((r) => !r.certificate).map((r) => r.host))].sort();
    if (state.tls === 'internal' && subjects.length > 0) {
      tlsPolicies.push({ '@id': tlsPolicyId(state.server), subjects, issuers: [{ module: 'internal' }] });
    }
    if (state.tls === 'acme' && state.acme && subjects.length > 0) {
      tlsPolicies.push({
        '@id': tlsPolicyId(state.server),
        subjects,
        issuers: [acmeIssuer(state.acme, state.redirectListen)],
      });
    }
  }
  const certificates = {
    server: state.server,
    entries: state.tls === 'off' ? [] : renderLoadedCertificates(state.server, state.routes),
  };
  const accessLog = {
    server: state.server,
    log: state.accessLog ? renderAccessLog(state.server, state.accessLog) : null,
  };
  return {
    servers,
    tlsPolicies,
    certificates,
    accessLog,
    ...(state.tls === 'off' ? {} : { noTrustInstall: true }),
  };
}

/**
 * Caddy's `acme` issuer for HIY_ACME_*. The HTTP-01 challenge is answered on HIY_HTTP_ADDR's port (Caddy answers
 * challenges on every server before its routes, the redirect server included); TLS-ALPN-01 is off, as Caddy would
 * only answer it on its global HTTPS port, which HIY does not set.
 */
function acmeIssuer(acme: AcmeSettings, redirectListen: string[] | undefined): Json {
  const issuer: Json = { module: 'acme' };
  if (acme.ca) issuer['ca'] = acme.ca;
  if (acme.email) issuer['email'] = acme.email;
  if (acme.caRoot) issuer['trusted_roots_pem_files'] = [acme.caRoot];
  const port = Number(/:(\d+)$/.exec(redirectListen?.[0] ?? '')?.[1]);
  issuer['challenges'] = {
    ...(Number.isInteger(port) && port > 0 ? { http: { alternate_port: port } } : {}),
    'tls-alpn': { disabled: true },
  };
  return issuer;
}

/** HIY_ACME_* back from the issuer `acmeIssuer` rendered; undefined when there is none. */
function parseAcme(policies: unknown[]): AcmeSettings | undefined {
  const policy = policies[0];
  const issuer = isObject(policy) && Array.isArray(policy['issuers']) ? policy['issuers'][0] : undefined;
  if (!isObject(issuer) || issuer['module'] !== 'acme') return undefined;
  const acme: AcmeSettings = {};
  if (typeof issuer['ca'] === 'string') acme.ca = issuer['ca'];
  if (typeof issuer['email'] === 'string') acme.email = issuer['email'];
  const roots = strings(issuer['trusted_roots_pem_files']);
  if (roots?.[0]) acme.caRoot = roots[0];
  return acme;
}

/** `@id` of HIY's server, e.g. `hiy:tls-acme`. */
function serverTag(server: string, tls: TlsMode): string {
  return `${server}:tls-${tls}`;
}

/** `<server>:<resource>:<host><path>`, with anything unusual percent-encoded so the id is safe in `/id/...` URLs. */
function routeId(server: string, r: ProxyRoute): string {
  return `${server}:${safe(r.resource)}:${safe(r.host)}${safe(r.path)}`;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._~/*-]/g, (c) =>
    [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

function unsafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function renderRoute(id: string, r: ProxyRoute): Json {
  const match: Json = { host: [r.host] };
  const prefix = r.path.replace(/\/+$/, '');
  if (prefix !== '') match['path'] = [prefix, `${prefix}/*`];
  // No upstream: the host is here only so that Caddy holds its certificate (a Port's tls.certificateFor).
  if (r.upstream === '')
    return {
      '@id': id,
      match: [match],
      handle: [{ handler: 'static_response', status_code: 404 }],
      terminal: true,
    };
  return {
    '@id': id,
    match: [match],
    // The upstream's Server header is dropped: Caddy sends its own, and two Server headers confuse clients (and
    // the upstream's names its software and version).
    handle: [
      {
        handler: 'reverse_proxy',
        upstreams: [{ dial: r.upstream }],
        headers: { response: { delete: ['Server'] } },
      },
    ],
    terminal: true,
  };
}

function renderRedirectServer(server: string, listen: string[]): Json {
  return {
    listen: [...listen],
    routes: [
      {
        '@id': `${redirectServerName(server)}:https`,
        handle: [
          {
            handler: 'static_response',
            status_code: 308,
            headers: { Location: ['https://{http.request.host}{http.request.uri}'] },
          },
        ],
        terminal: true,
      },
    ],
    automatic_https: { disable: true },
  };
}

/**
 * Returns a new full config: `full` untouched except the servers named in `serverNames` (set to match
 * `owned.servers`, or removed) and the TLS policies whose `@id` is `policyId` (replaced by `owned.tlsPolicies`,
 * placed first so they win). Never mutates its inputs.
 */
export function mergeOwned(
  full: CaddyConfig | null,
  owned: OwnedCaddyConfig,
  serverNames: string[],
  policyId: string,
): CaddyConfig {
  const out: Json = clone(full ?? {});
  const toSet = serverNames.filter((n) => owned.servers[n] !== undefined);
  const toRemove = serverNames.filter((n) => owned.servers[n] === undefined);

  const existingServers = objectAt(out, ['apps', 'http', 'servers']);
  if (toSet.length > 0) {
    const servers = ensureObject(out, ['apps', 'http', 'servers']);
    for (const n of toSet) servers[n] = clone(owned.servers[n]);
  }
  if (existingServers) for (const n of toRemove) delete existingServers[n];

  const automation = objectAt(out, ['apps', 'tls', 'automation']);
  const kept = Array.isArray(automation?.['policies'])
    ? (automation['policies'] as unknown[]).filter((p) => !(isObject(p) && p['@id'] === policyId))
    : undefined;
  if (owned.tlsPolicies.length > 0) {
    ensureObject(out, ['apps', 'tls', 'automation'])['policies'] = [
      ...clone(owned.tlsPolicies),
      ...(kept ?? []),
    ];
  } else if (automation && kept) {
    automation['policies'] = kept;
  }
  if (owned.certificates) mergeLoadedCertificates(out, owned.certificates.server, owned.certificates.entries);
  if (owned.accessLog) mergeAccessLog(out, owned.accessLog.server, clone(owned.accessLog.log));
  if (owned.noTrustInstall) {
    ensureObject(out, ['apps', 'pki', 'certificate_authorities', 'local'])['install_trust'] = false;
  }
  return out;
}

/**
 * `server`'s part of `intended` (its servers, TLS policy, load_pem entries, the local CA's trust setting) put into
 * `current` by mergeOwned, everything else of `current` kept: how a load of one owner's config is re-based onto the
 * config Caddy runs at that moment, so a stale copy of another owner's part (another instance, the user) is never
 * written back over theirs. Pure.
 */
export function rebaseOwned(current: CaddyConfig | null, intended: CaddyConfig, server: string): CaddyConfig {
  const servers = objectAt(intended, ['apps', 'http', 'servers']) ?? {};
  const owned: OwnedCaddyConfig = { servers: {}, tlsPolicies: ownedPolicies(intended, tlsPolicyId(server)) };
  for (const name of ownedServerNames(server))
    if (servers[name] !== undefined) owned.servers[name] = servers[name];
  owned.certificates = { server, entries: ownedLoadedCertificates(intended, server) };
  const { log } = ownedAccessLog(intended, server);
  owned.accessLog = { server, log: isObject(log) ? log : null };
  const ca = objectAt(intended, ['apps', 'pki', 'certificate_authorities', 'local']);
  if (ca?.['install_trust'] === false) owned.noTrustInstall = true;
  return mergeOwned(current, owned, ownedServerNames(server), tlsPolicyId(server));
}

/** Reads HIY's server, redirect server and TLS policy back into a ProxyState, and says whether they are untouched. */
export function parseOwned(full: CaddyConfig | null, server: string): ParsedOwned {
  const servers = objectAt(full ?? {}, ['apps', 'http', 'servers']) ?? {};
  const main = servers[server];
  const redirect = servers[redirectServerName(server)];
  const policies = ownedPolicies(full, tlsPolicyId(server));
  const certificates = ownedLoadedCertificates(full, server);
  if (!isObject(main))
    return {
      present: false,
      pristine: redirect === undefined && policies.length === 0 && certificates.length === 0,
    };

  let clean = true;
  const listen = strings(main['listen']);
  if (!listen) clean = false;
  const auto = isObject(main['automatic_https']) ? main['automatic_https'] : {};
  const tagged = (['off', 'acme', 'internal'] as const).find((m) => main['@id'] === serverTag(server, m));
  const tls: TlsMode =
    tagged ?? (auto['disable'] === true ? 'off' : policies.length > 0 ? 'internal' : 'acme');
  const state: ProxyState = { server, listen: listen ?? [], tls, routes: [] };
  if (tls !== 'off' && isObject(redirect)) {
    const rl = strings(redirect['listen']);
    if (rl) state.redirectListen = rl;
  }
  const acme = tls === 'acme' ? parseAcme(policies) : undefined;
  if (acme) state.acme = acme;
  const logs = isObject(main['logs']) ? main['logs'] : undefined;
  const accessLog = logs?.['default_logger_name'] === server ? accessLogFileOf(full, server) : undefined;
  if (accessLog) state.accessLog = accessLog;

  const routes = Array.isArray(main['routes']) ? main['routes'] : [];
  if (!Array.isArray(main['routes'])) clean = false;
  for (const r of routes) {
    const route = parseRoute(r, server);
    if (route) state.routes.push(route);
    else clean = false;
  }
  assignCertificates(state.routes, certificates, server);
  if (!clean) return { present: true, state, pristine: false };

  const rendered = renderProxy(state);
  const pristine =
    deepEqual(rendered.servers[server], main) &&
    deepEqual(rendered.servers[redirectServerName(server)], redirect) &&
    deepEqual(rendered.tlsPolicies, policies) &&
    deepEqual(rendered.certificates?.entries ?? [], certificates) &&
    accessLogPristine(full, server, rendered.accessLog?.log ?? null);
  return { present: true, state, pristine };
}

function parseRoute(r: unknown, server: string): ProxyRoute | undefined {
  if (!isObject(r) || typeof r['@id'] !== 'string' || !r['@id'].startsWith(`${server}:`)) return undefined;
  const rest = r['@id'].slice(server.length + 1);
  const colon = rest.indexOf(':');
  if (colon <= 0) return undefined;
  const resource = unsafe(rest.slice(0, colon)) as ResourceId;
  const match = Array.isArray(r['match']) ? r['match'][0] : undefined;
  const host = isObject(match) ? strings(match['host'])?.[0] : undefined;
  const paths = isObject(match) && match['path'] !== undefined ? strings(match['path']) : [];
  const handler = Array.isArray(r['handle']) ? r['handle'][0] : undefined;
  const upstream =
    isObject(handler) && Array.isArray(handler['upstreams']) && isObject(handler['upstreams'][0])
      ? handler['upstreams'][0]['dial']
      : undefined;
  const certificateOnly =
    isObject(handler) && handler['handler'] === 'static_response' && handler['status_code'] === 404;
  if (host === undefined || paths === undefined) return undefined;
  if (certificateOnly) return { resource, host, path: paths[0] ?? '/', upstream: '' };
  if (typeof upstream !== 'string') return undefined;
  return { resource, host, path: paths[0] ?? '/', upstream };
}

/** `server`'s log entry is the rendered one (or absent when none is rendered), and the default log leaves it out. */
function accessLogPristine(full: CaddyConfig | null, server: string, rendered: Json | null): boolean {
  const { log, excluded } = ownedAccessLog(full, server);
  return rendered ? deepEqual(log, rendered) && excluded : log === undefined && !excluded;
}

function ownedPolicies(full: CaddyConfig | null, policyId: string): unknown[] {
  const policies = objectAt(full ?? {}, ['apps', 'tls', 'automation'])?.['policies'];
  return Array.isArray(policies) ? policies.filter((p) => isObject(p) && p['@id'] === policyId) : [];
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function ensureObject(root: Json, path: string[]): Json {
  let cur = root;
  for (const k of path) {
    const next = cur[k];
    if (isObject(next)) cur = next;
    else {
      const made: Json = {};
      cur[k] = made;
      cur = made;
    }
  }
  return cur;
}

/** Structural equality of JSON values; object key order does not matter (Caddy re-serializes what it stores). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
