// What HIY's Caddy server should contain, as plain data: the plan compares these, the Caddy driver renders them.
import type { ResourceId } from './names.js';
import type { AcmeSettings, TlsMode } from './settings.js';

/** One reverse-proxy route: requests for host + path prefix go to upstream (`127.0.0.1:PORT`). */
export interface ProxyRoute {
  resource: ResourceId;
  host: string;
  /** Path prefix, `/` for the whole host. */
  path: string;
  /**
   * `127.0.0.1:PORT`; empty for a host that only needs a certificate (a Port's `tls.certificateFor` with no
   * route of its own): Caddy answers it 404, and holds and renews the host's certificate all the same.
   */
  upstream: string;
  /** A certificate brought for the host: the secret holding it and its salted digest (never the PEM). */
  certificate?: RouteCertificate;
}

/** The secret a route's `tls.certificate` names, with the salted digest of its value when planned. */
export interface RouteCertificate {
  secret: string;
  digest: string;
}

/**
 * The certificate Caddy's storage holds for one host (`certificates/<issuer>/<host>/` under Caddy's data
 * directory): the folder, the two files' names in it, and the sha256 of the certificate file (hex, 16 chars).
 */
export interface HostCertificate {
  dir: string;
  certFile: string;
  keyFile: string;
  digest: string;
}

/** Where a Port's `tls.certificateFor` folder is mounted (read-only) in its container. */
export const CERTIFICATE_MOUNT_PATH = '/run/hiy-certificate';

/** The resource id the dashboard's route carries in Caddy (it belongs to HIY itself, not to an App or Port). */
export const DASHBOARD_ROUTE_RESOURCE = 'hiy/dashboard' as ResourceId;

/**
 * The header Caddy's dashboard route sets (replacing any copy a client sent) to the box's proxy secret: the daemon
 * believes `X-Forwarded-For` only from a request carrying it. The Caddy driver adds it when it writes Caddy's
 * config and takes it out when it reads it back, so plans, routes and `--json` never hold the secret.
 */
export const PROXY_SECRET_HEADER = 'X-Hiy-Proxy-Secret';

/** The whole of what HIY owns in Caddy. */
export interface ProxyState {
  /** Name of HIY's server under apps.http.servers. */
  server: string;
  /** Listen addresses of HIY's server (HTTP when tls is off, HTTPS otherwise). */
  listen: string[];
  /** Extra server redirecting HIY_HTTP_ADDR to HTTPS, when tls is on (undefined when off). */
  redirectListen?: string[];
  tls: TlsMode;
  /** `acme` mode with HIY_ACME_* set: the issuer of HIY's hosts (unset: Caddy's default issuers). */
  acme?: AcmeSettings;
  /** Routes in match order: most specific host, then longest path, first (see sortRoutes). */
  routes: ProxyRoute[];
  /**
   * The file Caddy writes HIY's server's access log to (JSON lines, rolled small; `accessLogFile`): the
   * dashboard's requests and errors per route are counted from it. Unset: no access log.
   */
  accessLog?: string;
}

/** Where Caddy writes an instance's access log: `DATA_DIR/access-log/access.log` (rolled files beside it). */
export function accessLogFile(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, '')}/access-log/access.log`;
}

/**
 * Orders routes the way Caddy must try them, most specific first: every route is terminal, so the first match
 * wins. Exact hosts come before wildcards (`*.example.com` would otherwise take `www.example.com`'s requests),
 * wildcards with more labels before those with fewer, then longer path prefixes before shorter ones. Names
 * only break ties, so the order is stable.
 */
export function sortRoutes(routes: ProxyRoute[]): ProxyRoute[] {
  return [...routes].sort(
    (a, b) =>
      hostRank(a.host) - hostRank(b.host) ||
      a.host.localeCompare(b.host) ||
      b.path.length - a.path.length ||
      a.path.localeCompare(b.path) ||
      a.resource.localeCompare(b.resource),
  );
}

/** 0 for an exact host; a wildcard ranks after every exact host, the more labels it has the earlier. */
function hostRank(host: string): number {
  return host.startsWith('*.') ? 1000 - host.split('.').length : 0;
}
