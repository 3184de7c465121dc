// How HIY calls itself from places with no environment of ours: sshd's forced command and git's hooks.
import { fileURLToPath } from 'node:url';
import type { Settings } from '../model/settings.js';

/** The argv prefix that runs this hiy: HIY_SELF (a JSON array of strings) or `node <repo>/bin/hiy.js`. */
export function selfCommand(env: NodeJS.ProcessEnv): string[] {
  if (env.HIY_SELF) {
    const argv = JSON.parse(env.HIY_SELF) as unknown;
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
      throw new Error(
        'HIY_SELF must be a JSON array of strings, e.g. ["/usr/bin/node","/opt/hiy/bin/hiy.js"]',
      );
    }
    return argv as string[];
  }
  // src/push/self.ts and the bundle's files (all directly in dist/bundle/, see scripts/build.ts) are both two
  // levels below the package root.
  return [process.execPath, fileURLToPath(new URL('../../bin/hiy.js', import.meta.url))];
}

/** Variables that are passed on as they are (they are not part of Settings). */
const PASSED_ON = /^HIY_(PODMAN|LOG_LEVEL|BUILD_[A-Z_]+|BUILDS_AT_ONCE|SELF)$/;

/**
 * Every setting as HIY_* variables: what a child hiy (a hook, a forced command) needs to act exactly like
 * this one. Settings given as flags become variables too.
 */
export function settingsEnv(settings: Settings, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (PASSED_ON.test(k) && v !== undefined) out[k] = v;
  Object.assign(out, {
    HIY_STATE: settings.stateRepo,
    HIY_STATE_BRANCH: settings.branch,
    HIY_DATA_DIR: settings.dataDir,
    HIY_CADDY_ADMIN: settings.caddyAdmin,
    HIY_HTTP_ADDR: settings.httpAddr,
    HIY_HTTPS_ADDR: settings.httpsAddr,
    HIY_TLS: settings.tls,
    HIY_INSTANCE: settings.instance,
    HIY_UPSTREAM_PORTS: `${settings.upstreamPorts.from}-${settings.upstreamPorts.to}`,
  });
  // Without these a child plans Caddy without the dashboard's route (every push removed it until the next resync).
  if (settings.dashboardHost) out.HIY_DASHBOARD_HOST = settings.dashboardHost;
  if (settings.dashboardHost && settings.apiAddr) out.HIY_API_ADDR = settings.apiAddr;
  if (settings.acme?.ca) out.HIY_ACME_CA = settings.acme.ca;
  if (settings.acme?.caRoot) out.HIY_ACME_CA_ROOT = settings.acme.caRoot;
  if (settings.acme?.email) out.HIY_ACME_EMAIL = settings.acme.email;
  return out;
}
