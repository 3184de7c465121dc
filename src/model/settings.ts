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
  /**
   * Caddy's data directory (HIY_CADDY_DATA_DIR), where its storage keeps certificates
   * (`certificates/<issuer>/<host>/`): read for a Port's `tls.certificateFor`. Unset: not read (no certificate).
   */
  caddyDataDir?: string;
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

/** The settings that decide what a plan does: the daemon publishes them (DATA_DIR/daemon.json), commands compare. */
export type PlanSettings = Pick<
  Settings,
  | 'stateRepo'
  | 'branch'
  | 'caddyAdmin'
  | 'caddyDataDir'
  | 'httpAddr'
  | 'httpsAddr'
  | 'tls'
  | 'acme'
  | 'instance'
  | 'upstreamPorts'
  | 'dashboardHost'
  | 'apiAddr'
>;

/** Each plan setting and the variable a person sets it with. */
const PLAN_SETTING_VARIABLES: Record<keyof PlanSettings, string> = {
  stateRepo: 'HIY_STATE',
  branch: 'HIY_STATE_BRANCH',
  caddyAdmin: 'HIY_CADDY_ADMIN',
  caddyDataDir: 'HIY_CADDY_DATA_DIR',
  httpAddr: 'HIY_HTTP_ADDR',
  httpsAddr: 'HIY_HTTPS_ADDR',
  tls: 'HIY_TLS',
  acme: 'HIY_ACME_CA, HIY_ACME_CA_ROOT, HIY_ACME_EMAIL',
  instance: 'HIY_INSTANCE',
  upstreamPorts: 'HIY_UPSTREAM_PORTS',
  dashboardHost: 'HIY_DASHBOARD_HOST',
  apiAddr: 'HIY_API_ADDR',
};

/** The plan settings of `s`, as text a person compares (unset ones as undefined). */
export function planSettings(s: Settings): Record<keyof PlanSettings, string | undefined> {
  const text = (v: unknown) =>
    v === undefined
      ? undefined
      : typeof v === 'string'
        ? v
        : JSON.stringify(v, Object.keys(v as object).sort());
  return {
    stateRepo: s.stateRepo || undefined,
    branch: s.branch,
    caddyAdmin: s.caddyAdmin,
    // Where a Port's tls.certificateFor is read from: only with TLS on (off, nothing is read).
    caddyDataDir: s.tls === 'off' ? undefined : s.caddyDataDir,
    httpAddr: s.httpAddr,
    httpsAddr: s.httpsAddr,
    tls: s.tls,
    acme: text(s.acme),
    instance: s.instance,
    upstreamPorts: `${s.upstreamPorts.from}-${s.upstreamPorts.to}`,
    dashboardHost: s.dashboardHost,
    apiAddr: s.dashboardHost ? s.apiAddr : undefined,
  };
}

/** One plan setting on which two processes differ. */
export interface SettingDifference {
  setting: keyof PlanSettings;
  variable: string;
  daemon?: string;
  here?: string;
}

/** Where the settings `here` differ from what the daemon published (its `planSettings`). */
export function settingsDifferences(
  daemon: Partial<Record<string, string | undefined>>,
  here: Record<keyof PlanSettings, string | undefined>,
): SettingDifference[] {
  const out: SettingDifference[] = [];
  for (const key of Object.keys(PLAN_SETTING_VARIABLES) as (keyof PlanSettings)[]) {
    if ((daemon[key] ?? undefined) !== (here[key] ?? undefined))
      out.push({ setting: key, variable: PLAN_SETTING_VARIABLES[key], daemon: daemon[key], here: here[key] });
  }
  return out;
}
