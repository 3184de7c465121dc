// Puts the proxy secret into the dashboard route of a full Caddy config on its way in, and takes it out on its way back.
import { DASHBOARD_ROUTE_RESOURCE, PROXY_SECRET_HEADER } from '../../model/routing.js';
import { isObject, type Json, objectAt } from './json.js';
import { deepEqual } from './render.js';
import type { CaddyConfig } from './types.js';

/** What the dashboard route's reverse_proxy handler sends upstream: `set` replaces any copy the client sent. */
function secretRequestHeaders(secret: string): Json {
  return { set: { [PROXY_SECRET_HEADER]: [secret] } };
}

/** The reverse_proxy handlers of HIY's dashboard routes (`@id` `SERVER:hiy/dashboard:HOST/`), in any server. */
function dashboardProxies(config: Json): Json[] {
  const out: Json[] = [];
  for (const server of Object.values(objectAt(config, ['apps', 'http', 'servers']) ?? {})) {
    const routes = isObject(server) && Array.isArray(server['routes']) ? server['routes'] : [];
    for (const route of routes) {
      if (!isObject(route) || typeof route['@id'] !== 'string') continue;
      if (route['@id'].split(':')[1] !== DASHBOARD_ROUTE_RESOURCE) continue;
      const handlers = Array.isArray(route['handle']) ? route['handle'] : [];
      for (const h of handlers) if (isObject(h) && h['handler'] === 'reverse_proxy') out.push(h);
    }
  }
  return out;
}

/** A copy of `config` whose dashboard routes send the proxy secret upstream. */
export function withProxySecret(config: CaddyConfig, secret: string): CaddyConfig {
  const out = structuredClone(config) as Json;
  for (const h of dashboardProxies(out)) {
    const headers = isObject(h['headers']) ? h['headers'] : h['headers'] === undefined ? {} : undefined;
    if (headers && headers['request'] === undefined)
      h['headers'] = { ...headers, request: secretRequestHeaders(secret) };
  }
  return out as CaddyConfig;
}

/**
 * A copy of `config` without the headers `withProxySecret` added: what HIY rendered, so reading Caddy back shows
 * no change and no secret. Headers that differ (another value, a hand edit) stay, so the route reads as changed
 * and the next apply writes it again.
 */
export function withoutProxySecret(config: CaddyConfig, secret: string): CaddyConfig {
  const out = structuredClone(config) as Json;
  for (const h of dashboardProxies(out)) {
    const headers = h['headers'];
    if (!isObject(headers) || !deepEqual(headers['request'], secretRequestHeaders(secret))) continue;
    const { request: _request, ...rest } = headers;
    if (Object.keys(rest).length > 0) h['headers'] = rest;
    else delete h['headers'];
  }
  return out as CaddyConfig;
}
