// Settings of one HIY instance: where its state lives and how it reaches Caddy. Read from flags and env in cli/.

export type TlsMode = 'acme' | 'internal' | 'off';

/** Where Caddy gets certificates in `acme` mode (HIY_ACME_*); each unset field keeps Caddy's default. */
export interface AcmeSettings {
  /** ACME directory URL (HIY_ACME_CA); unset: Let's Encrypt (and ZeroSSL), Caddy's defaults. */
  ca?: string;
  /** PEM file trusted for the ACME directory's own HTTPS (HIY_ACME_CA_ROOT); never the system store. */
  caRoot?: string;
  /** ACME account e-mail (HIY_ACME_EMAIL). */
  email?: string;
}

export interface Settings {
  /** Path of the state repo (working copy or bare). */
  stateRepo: string;
  /** Branch of the state repo to apply. */
  branch: string;
  /** Where HIY keeps its own state: status, lock, journal, snapshots, hosted repositories. */
  dataDir: string;
  /** Base URL of Caddy's admin API. */
  caddyAdmin: string;
  /** Listen address of HIY's Caddy server for plain HTTP, e.g. `:80`. */
  httpAddr: string;
  /** Listen address of HIY's Caddy server for HTTPS, e.g. `:443`. */
  httpsAddr: string;
  tls: TlsMode;
  /** ACME issuer settings, when `tls` is `acme` and any HIY_ACME_* is set. */
  acme?: AcmeSettings;
  /** Name of this HIY instance; objects of other instances are never touched. */
  instance: string;
  /** Range of 127.0.0.1 host ports given to container ports that Caddy proxies to. */
  upstreamPorts: { from: number; to: number };
  /** Host name the dashboard is published at through Caddy (HIY_DASHBOARD_HOST); unset: not published. */
  dashboardHost?: string;
  /** The daemon's API address (HIY_API_ADDR), which Caddy proxies the dashboard host to. */
  apiAddr?: string;
  /**
   * The lowest host port this box lets HIY's containers publish: net.ipv4.ip_unprivileged_port_start when HIY runs
   * unprivileged (rootless Podman), undefined when any port may be (root). Probed, not set (src/main.ts).
   */
  portFloor?: number;
  /**
   * Why this box's Podman cannot enforce resource limits (rootless on cgroup v1, or v2 without the controllers
   * delegated), undefined when it can: a limit is then a plan warning and a `LimitsEnforced=False` condition.
   * Probed, not set (src/main.ts).
   */
  limitsNotEnforced?: string;
}

export const DEFAULT_SETTINGS: Omit<Settings, 'stateRepo' | 'dataDir'> = {
  branch: 'main',
  caddyAdmin: 'http://127.0.0.1:2019',
  httpAddr: ':80',
  httpsAddr: ':443',
  tls: 'acme',
  instance: 'default',
  upstreamPorts: { from: 20000, to: 29999 },
};

/**
 * The daemon's defaults, here rather than in reconcile/ and server/ so that `hiy --help` can print them without
 * loading the daemon. Default resync schedule: every minute.
 */
export const DEFAULT_RESYNC = '0 * * * * *';

/** The default listen address of the HTTP API: loopback only; exposing it is a deliberate `--api-addr` choice. */
export const DEFAULT_API_ADDR = '127.0.0.1:7070';
