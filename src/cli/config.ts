// Settings from flags over the environment over DATA_DIR/settings.env; the one place that reads HIY_* variables.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { HiyError } from '../model/errors.js';
import { DNS_LABEL, HOST_NAME } from '../model/names.js';
import { DEFAULT_API_ADDR, DEFAULT_SETTINGS, type Settings } from '../model/settings.js';
import { readSettingsFile } from '../store/settingsFile.js';
import { FLAG_SETTINGS, SETTING_NAMES, SETTINGS_TABLE, settingsHelp } from './settingsTable.js';
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

/** The settings documented in README and --help: each flag, its variable, its default (settingsTable.ts). */
export const SETTINGS_HELP = settingsHelp();

/** Where a setting's value came from, strongest first. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

/** The environment a command runs with: its own, the settings file under it, the flags over both. */
export interface SettingsEnvironment {
  /** The merged HIY_* values (and the rest of the process environment): what every part of the command reads. */
  env: NodeJS.ProcessEnv;
  /** Each known setting's source. */
  sources: Record<string, SettingSource>;
  /** The settings file read (DATA_DIR/settings.env) and whether it exists. */
  file: { path: string; exists: boolean };
}

/**
 * The settings a process started later by someone else (sshd's forced command, the git-push wrapper) must be
 * given: the data directory, and what came from this command's flags or environment. What the settings file
 * holds is left to the file, which the child reads when it runs: an edit of the file reaches it, a copy would not.
 */
export function lastingSettingsEnv(
  all: Record<string, string>,
  environment: SettingsEnvironment | undefined,
): Record<string, string> {
  if (!environment) return all;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) {
    const source = environment.sources[name];
    if (name === 'HIY_DATA_DIR' || source === 'env' || source === 'flag') out[name] = value;
  }
  return out;
}

/** Paths in the file must be absolute: relative to what would be a guess (the shell's directory differs). */
const PATH_SETTINGS = new Set(['HIY_STATE', 'HIY_ACME_CA_ROOT', 'HIY_PODMAN', 'HIY_RESTIC', 'HIY_BUSYBOX']);

/**
 * Layers flags over the environment over DATA_DIR/settings.env (the data directory itself comes from the flag,
 * the environment or the default: the file is found through it). Every problem of the file is reported at once,
 * with its line, and nothing of a file with problems is used.
 */
export function settingsEnvironment(flags: GlobalFlags, env: NodeJS.ProcessEnv): SettingsEnvironment {
  const dataDir = resolve(flags['data-dir'] ?? env.HIY_DATA_DIR ?? defaultDataDir(env));
  const file = readSettingsFile(dataDir);
  const problems = [...file.problems];
  for (const [name, { value, line }] of file.values) {
    if (name === 'HIY_DATA_DIR')
      problems.push(
        `${file.path}:${line}: HIY_DATA_DIR: the file is found through the data directory; give --data-dir or HIY_DATA_DIR instead`,
      );
    else if (!SETTING_NAMES.has(name))
      problems.push(`${file.path}:${line}: ${name} is not a setting of hiy (hiy --help lists them)`);
    else if (
      PATH_SETTINGS.has(name) &&
      value !== '' &&
      !isAbsolute(value) &&
      !(name !== 'HIY_STATE' && !value.includes('/'))
    )
      problems.push(`${file.path}:${line}: ${name} must be an absolute path, not ${JSON.stringify(value)}`);
  }
  if (problems.length > 0) throw new UsageError(`settings file ${file.path}:\n  ${problems.join('\n  ')}`);
  const merged: NodeJS.ProcessEnv = { ...env };
  const sources: Record<string, SettingSource> = {};
  for (const spec of SETTINGS_TABLE) {
    const fromFile = file.values.get(spec.name);
    if (env[spec.name] !== undefined) sources[spec.name] = 'env';
    else if (fromFile) {
      merged[spec.name] = fromFile.value;
      sources[spec.name] = 'file';
    } else sources[spec.name] = 'default';
  }
  for (const [flagName, name] of Object.entries(FLAG_SETTINGS)) {
    const v = flags[flagName as keyof GlobalFlags];
    if (v !== undefined) {
      merged[name] = v;
      sources[name] = 'flag';
    }
  }
  merged.HIY_DATA_DIR = dataDir;
  return { env: merged, sources, file: { path: file.path, exists: file.exists } };
}

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

/** Caddy's own default data directory for a Caddy running as this user: $XDG_DATA_HOME/caddy, ~/.local/share/caddy. */
export function defaultCaddyDataDir(env: NodeJS.ProcessEnv): string {
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, 'caddy');
  return join(env.HOME || homedir(), '.local', 'share', 'caddy');
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
    caddyDataDir: resolve(env.HIY_CADDY_DATA_DIR || defaultCaddyDataDir(env)),
    httpAddr: env.HIY_HTTP_ADDR ?? DEFAULT_SETTINGS.httpAddr,
    ...tls.settings,
    instance,
    upstreamPorts: env.HIY_UPSTREAM_PORTS
      ? parseRange(env.HIY_UPSTREAM_PORTS)
      : DEFAULT_SETTINGS.upstreamPorts,
    ...dashboardSettings(env),
  };
}
