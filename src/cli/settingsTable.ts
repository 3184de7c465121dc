// Every HIY_* setting once: its flag, its default and what it means; --help, `hiy settings` and the file check use it.
import { DEFAULT_API_ADDR, DEFAULT_RESYNC, DEFAULT_SETTINGS } from '../model/settings.js';
import { DEFAULT_STACK_IMAGES } from '../push/buildSettings.js';

export interface SettingSpec {
  /** The environment variable (and the settings file's name for it). */
  name: string;
  /** The flag that overrides it, as --help writes it (`--state DIR`). */
  flag?: string;
  /** The default, as a person reads it. */
  defaultText: string;
  help: string;
}

/** All settings, in the order --help, README and `hiy settings` list them. */
export const SETTINGS_TABLE: readonly SettingSpec[] = [
  {
    name: 'HIY_STATE',
    flag: '--state DIR',
    defaultText: 'none',
    help: 'state repo (working copy or bare repository)',
  },
  {
    name: 'HIY_STATE_BRANCH',
    flag: '--branch NAME',
    defaultText: DEFAULT_SETTINGS.branch,
    help: 'branch of the state repo to apply',
  },
  {
    name: 'HIY_DATA_DIR',
    flag: '--data-dir DIR',
    defaultText: '/var/lib/hiy as root, else ~/.local/share/hiy',
    help: "HIY's own data, and its settings.env (so never set in that file)",
  },
  {
    name: 'HIY_CADDY_ADMIN',
    flag: '--caddy-admin URL',
    defaultText: DEFAULT_SETTINGS.caddyAdmin,
    help: 'Caddy admin API',
  },
  {
    name: 'HIY_HTTP_ADDR',
    defaultText: DEFAULT_SETTINGS.httpAddr,
    help: "listen address of HIY's Caddy server for HTTP",
  },
  {
    name: 'HIY_HTTPS_ADDR',
    defaultText: DEFAULT_SETTINGS.httpsAddr,
    help: "listen address of HIY's Caddy server for HTTPS",
  },
  {
    name: 'HIY_TLS',
    defaultText: DEFAULT_SETTINGS.tls,
    help: "acme (Let's Encrypt) | internal (Caddy's local CA) | off",
  },
  { name: 'HIY_ACME_CA', defaultText: "Let's Encrypt's, then ZeroSSL's", help: 'acme: ACME directory URL' },
  {
    name: 'HIY_ACME_CA_ROOT',
    defaultText: 'the system store',
    help: "acme: PEM file trusted for that directory's HTTPS",
  },
  { name: 'HIY_ACME_EMAIL', defaultText: 'none', help: "acme: the ACME account's e-mail" },
  {
    name: 'HIY_CADDY_DATA_DIR',
    defaultText: '$XDG_DATA_HOME/caddy, else ~/.local/share/caddy',
    help: "Caddy's data directory (its certificates), for a Port's tls.certificateFor",
  },
  {
    name: 'HIY_INSTANCE',
    defaultText: DEFAULT_SETTINGS.instance,
    help: "name of this HIY instance; others' objects are never touched",
  },
  {
    name: 'HIY_UPSTREAM_PORTS',
    defaultText: `${DEFAULT_SETTINGS.upstreamPorts.from}-${DEFAULT_SETTINGS.upstreamPorts.to}`,
    help: '127.0.0.1 host ports for proxied container ports',
  },
  {
    name: 'HIY_BOX_MEMORY_LIMIT',
    defaultText: 'none (MemAvailable)',
    help: "memory this instance's containers may use in all (4Gi); the plan's capacity check counts against it",
  },
  {
    name: 'HIY_BOX_PIDS_LIMIT',
    defaultText: 'none (kernel and cgroup limits)',
    help: "processes this instance's containers may run in all; the plan's capacity check counts against it",
  },
  { name: 'HIY_PODMAN', defaultText: 'podman', help: 'the podman binary' },
  { name: 'HIY_RESTIC', defaultText: 'restic', help: 'the restic binary (backups)' },
  {
    name: 'HIY_LOG_LEVEL',
    defaultText: 'warn; info for hiy daemon',
    help: 'pino log level of the JSON logs on stderr',
  },
  {
    name: 'HIY_BUSYBOX',
    defaultText: '/bin/busybox',
    help: 'static busybox mounted read-only to export secretEnv files',
  },
  {
    name: 'HIY_RESYNC',
    flag: '--resync CRON',
    defaultText: DEFAULT_RESYNC,
    help: 'hiy daemon: resync schedule (cron; 6 fields = seconds first; the default is every minute)',
  },
  {
    name: 'HIY_SAMPLE_INTERVAL',
    defaultText: '30',
    help: 'hiy daemon: seconds between usage samples for the dashboard (CPU, memory, requests); off disables',
  },
  {
    name: 'HIY_API_ADDR',
    flag: '--api-addr ADDR',
    defaultText: DEFAULT_API_ADDR,
    help: 'hiy daemon: HTTP API, webhooks and dashboard (off disables)',
  },
  {
    name: 'HIY_DASHBOARD_HOST',
    defaultText: 'unset: not published',
    help: 'host name the dashboard is published at through Caddy',
  },
  {
    name: 'HIY_BUILD_IMAGE_STATIC',
    defaultText: DEFAULT_STACK_IMAGES.static,
    help: 'base image of detected static sites',
  },
  {
    name: 'HIY_BUILD_IMAGE_NODE',
    defaultText: DEFAULT_STACK_IMAGES.node,
    help: 'base image of detected Node.js apps',
  },
  {
    name: 'HIY_BUILD_IMAGE_PYTHON',
    defaultText: DEFAULT_STACK_IMAGES.python,
    help: 'base image of detected Python apps',
  },
  {
    name: 'HIY_BUILD_IMAGE_GO_BUILD',
    defaultText: DEFAULT_STACK_IMAGES.goBuild,
    help: 'builder image of detected Go apps (docs/stacks.md)',
  },
  {
    name: 'HIY_BUILD_IMAGE_RUBY',
    defaultText: DEFAULT_STACK_IMAGES.ruby,
    help: 'image of detected Ruby apps',
  },
  {
    name: 'HIY_BUILD_IMAGE_JAVA_BUILD',
    defaultText: DEFAULT_STACK_IMAGES.javaBuild,
    help: 'builder image of detected Java apps',
  },
  {
    name: 'HIY_BUILD_IMAGE_JAVA',
    defaultText: DEFAULT_STACK_IMAGES.java,
    help: 'runtime image of Java apps',
  },
  { name: 'HIY_BUILD_IMAGE_PHP', defaultText: DEFAULT_STACK_IMAGES.php, help: 'runtime image of PHP apps' },
  {
    name: 'HIY_BUILD_IMAGE_PHP_BUILD',
    defaultText: DEFAULT_STACK_IMAGES.phpBuild,
    help: 'builder image of PHP apps (composer)',
  },
  {
    name: 'HIY_BUILD_TIMEOUT',
    defaultText: '30m',
    help: 'time limit of a build of an App without spec.build.timeout',
  },
  { name: 'HIY_BUILD_CPUS', defaultText: 'all CPUs but one', help: 'CPU cap of builds (0 = none)' },
  { name: 'HIY_BUILD_MEMORY', defaultText: 'half the RAM', help: 'memory cap of builds (0 = none)' },
  { name: 'HIY_BUILDS_AT_ONCE', defaultText: '1', help: 'builds run at once by pushes' },
  {
    name: 'HIY_SELF',
    defaultText: '["<node>","<repo>/bin/hiy.js"]',
    help: 'JSON argv that runs this hiy in forced commands and hooks',
  },
];

export const SETTING_NAMES: ReadonlySet<string> = new Set(SETTINGS_TABLE.map((s) => s.name));

/** The global flags that stand for a setting. */
export const FLAG_SETTINGS: Readonly<Record<string, string>> = {
  state: 'HIY_STATE',
  branch: 'HIY_STATE_BRANCH',
  'data-dir': 'HIY_DATA_DIR',
  'caddy-admin': 'HIY_CADDY_ADMIN',
};

/** Settings whose value is never printed (none today; a name saying it is a secret is hidden all the same). */
export function isSecretSetting(name: string): boolean {
  return /SECRET|PASSWORD|TOKEN|PASSPHRASE/.test(name);
}

/** The settings block of --help, built from the table. */
export function settingsHelp(): string {
  const lines = SETTINGS_TABLE.map(
    (s) => `  ${(s.flag ?? '').padEnd(18)} ${s.name.padEnd(22)} ${s.help} (${s.defaultText})`,
  );
  return `Settings (flag / environment variable / DATA_DIR/settings.env, default); a flag beats the environment,
which beats the file (hiy settings shows each value and where it came from):
${lines.join('\n')}
  --force-settings   apply even when the settings differ from those of the daemon running on the data directory`;
}
