// Settings from flags with environment fallbacks; the one place that reads HIY_* variables.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { HiyError } from '../model/errors.js';
import { DNS_LABEL, HOST_NAME } from '../model/names.js';
import { DEFAULT_API_ADDR, DEFAULT_SETTINGS, type Settings } from '../model/settings.js';
import { tlsSettings } from './tlsSettings.js';

export class UsageError extends HiyError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

export interface GlobalFlags {
  state?: string;
  branch?: string;
  'data-dir'?: string;
  'caddy-admin'?: string;
}

/** The settings documented in README and --help: each flag, its variable, its default. */
export const SETTINGS_HELP = `Settings (flag / environment variable, default):
  --state DIR        HIY_STATE          state repo (working copy or bare repository)
  --branch NAME      HIY_STATE_BRANCH   branch of the state repo to apply (main)
  --data-dir DIR     HIY_DATA_DIR       HIY's own data (/var/lib/hiy as root, else ~/.local/share/hiy)
  --caddy-admin URL  HIY_CADDY_ADMIN    Caddy admin API (http://127.0.0.1:2019)
                     HIY_HTTP_ADDR      listen address of HIY's Caddy server for HTTP (:80)
                     HIY_HTTPS_ADDR     listen address of HIY's Caddy server for HTTPS (:443)
                     HIY_TLS            acme (Let's Encrypt) | internal (Caddy's local CA) | off (acme)
                     HIY_ACME_CA        acme: ACME directory URL (Let's Encrypt's, then ZeroSSL's)
                     HIY_ACME_CA_ROOT   acme: PEM file trusted for that directory's HTTPS (system store)
                     HIY_ACME_EMAIL     acme: the ACME account's e-mail (none)
                     HIY_INSTANCE       name of this HIY instance; others' objects are never touched (default)
                     HIY_UPSTREAM_PORTS 127.0.0.1 host ports for proxied container ports (20000-29999)
                     HIY_PODMAN         the podman binary (podman)
                     HIY_LOG_LEVEL      pino log level of the JSON logs on stderr (warn; info for hiy daemon)
                     HIY_BUSYBOX        static busybox mounted read-only to export secretEnv files (/bin/busybox)
  --resync CRON      HIY_RESYNC         hiy daemon: resync schedule (* * * * *, every minute)
  --api-addr ADDR    HIY_API_ADDR       hiy daemon: HTTP API, webhooks and dashboard (127.0.0.1:7070; off disables)
                     HIY_DASHBOARD_HOST host name the dashboard is published at through Caddy (unset: not published)
                     HIY_BUILD_IMAGE_STATIC|_NODE|_PYTHON  base images of detected stacks (localhost/hiy/
                                        busybox:latest, localhost/hiy/node:20, localhost/hiy/python:3)
                     HIY_BUILD_IMAGE_GO_BUILD|_RUBY|_JAVA_BUILD|_JAVA|_PHP|_PHP_BUILD  Go, Ruby, Java and PHP
                                        images (localhost/hiy/go-build:1.19, …; docs/stacks.md)
                     HIY_BUILD_CPUS     CPU cap of builds (all CPUs but one; 0 = none)
                     HIY_BUILD_MEMORY   memory cap of builds (half the RAM; 0 = none)
                     HIY_BUILDS_AT_ONCE builds run at once by pushes (1)
                     HIY_SELF           JSON argv that runs this hiy in forced commands and hooks
                                        (["<node>","<repo>/bin/hiy.js"])`;

function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (process.getuid?.() === 0) return '/var/lib/hiy';
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'hiy');
}

function parseRange(text: string): { from: number; to: number } {
  const m = /^(\d+)-(\d+)$/.exec(text);
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from < 1 || to > 65535 || from > to)
    throw new UsageError(`HIY_UPSTREAM_PORTS must look like 20000-29999, not ${text}`);
  return { from, to };
}

/** HIY_DASHBOARD_HOST (a host name) and the API address Caddy sends it to. */
function dashboardSettings(env: NodeJS.ProcessEnv): Pick<Settings, 'dashboardHost' | 'apiAddr'> {
  const host = env.HIY_DASHBOARD_HOST?.trim().toLowerCase();
  if (!host) return {};
  if (!HOST_NAME.test(host)) throw new UsageError(`HIY_DASHBOARD_HOST must be a host name, not ${host}`);
  return { dashboardHost: host, apiAddr: env.HIY_API_ADDR ?? DEFAULT_API_ADDR };
}

/** Builds Settings; `needState` makes a missing state repo a usage error. */
export function settingsFrom(flags: GlobalFlags, env: NodeJS.ProcessEnv, needState: boolean): Settings {
  const state = flags.state ?? env.HIY_STATE;
  if (needState && !state) throw new UsageError('no state repo: give --state DIR or set HIY_STATE');
  const tls = tlsSettings(env);
  if (tls.problems.length > 0) throw new UsageError(tls.problems.join('\n'));
  const instance = env.HIY_INSTANCE ?? DEFAULT_SETTINGS.instance;
  if (!DNS_LABEL.test(instance)) throw new UsageError(`HIY_INSTANCE must be a DNS label, not ${instance}`);
  return {
    stateRepo: state ? resolve(state) : '',
    branch: flags.branch ?? env.HIY_STATE_BRANCH ?? DEFAULT_SETTINGS.branch,
    dataDir: resolve(flags['data-dir'] ?? env.HIY_DATA_DIR ?? defaultDataDir(env)),
    caddyAdmin: (flags['caddy-admin'] ?? env.HIY_CADDY_ADMIN ?? DEFAULT_SETTINGS.caddyAdmin).replace(
      /\/+$/,
      '',
    ),
    httpAddr: env.HIY_HTTP_ADDR ?? DEFAULT_SETTINGS.httpAddr,
    ...tls.settings,
    instance,
    upstreamPorts: env.HIY_UPSTREAM_PORTS
      ? parseRange(env.HIY_UPSTREAM_PORTS)
      : DEFAULT_SETTINGS.upstreamPorts,
    ...dashboardSettings(env),
  };
}
