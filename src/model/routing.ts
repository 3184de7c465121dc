// What HIY's Caddy server should contain, as plain data: the plan compares these, the Caddy driver renders them.
import type { ResourceId } from './names.js';
import type { TlsMode } from './settings.js';

/** One reverse-proxy route: requests for host + path prefix go to upstream (`127.0.0.1:PORT`). */
export interface ProxyRoute {
  resource: ResourceId;
  host: string;
  /** Path prefix, `/` for the whole host. */
  path: string;
  upstream: string;
}

/** The whole of what HIY owns in Caddy. */
export interface ProxyState {
  /** Name of HIY's server under apps.http.servers. */
  server: string;
  /** Listen addresses of HIY's server (HTTP when tls is off, HTTPS otherwise). */
  listen: string[];
  /** Extra server redirecting HIY_HTTP_ADDR to HTTPS, when tls is on (undefined when off). */
  redirectListen?: string[];
  tls: TlsMode;
  /** Routes sorted by host, then longest path first. */
  routes: ProxyRoute[];
}

/** Orders routes the way Caddy must try them: by host, then longer (more specific) path prefixes first. */
export function sortRoutes(routes: ProxyRoute[]): ProxyRoute[] {
  return [...routes].sort(
    (a, b) =>
      a.host.localeCompare(b.host) ||
      b.path.length - a.path.length ||
      a.path.localeCompare(b.path) ||
      a.resource.localeCompare(b.resource),
  );
}
