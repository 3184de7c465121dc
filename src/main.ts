// Composition root: builds the real drivers and runs the CLI. Nothing else constructs a driver.
import { exitWith, runCli } from './cli/run.js';
import type { Engine } from './engine/engine.js';
import { objectNames } from './model/names.js';
import { accessLogFile } from './model/routing.js';
import type { Settings } from './model/settings.js';

/**
 * The real drivers' modules. They are imported when the first engine is built, not when hiy starts: together
 * with what they import (pino, execa, isomorphic-git) they are most of a start-up, and `hiy --help`, usage
 * errors and git-shell's refusals need none of them.
 */
async function loadDrivers() {
  const [
    pino,
    buildSettings,
    buildSupport,
    caddy,
    acmeAccount,
    checkout,
    isomorphic,
    podman,
    prober,
    stores,
    host,
    restic,
    externalCalls,
    podmanEvents,
    podmanStats,
    accessLog,
    box,
  ] = await Promise.all([
    import('pino'),
    import('./push/buildSettings.js'),
    import('./push/buildSupport.js'),
    import('./drivers/caddy/client.js'),
    import('./drivers/caddy/acmeAccount.js'),
    import('./drivers/git/checkout.js'),
    import('./drivers/git/isomorphic.js'),
    import('./drivers/podman/runner.js'),
    import('./drivers/probe/prober.js'),
    import('./store/index.js'),
    import('./drivers/host/probe.js'),
    import('./drivers/restic/runner.js'),
    import('./drivers/externalCalls.js'),
    import('./drivers/podman/events.js'),
    import('./drivers/podman/stats.js'),
    import('./drivers/caddy/accessLog.js'),
    import('./drivers/host/box.js'),
  ]);
  return {
    pino: pino.default,
    buildSettingsFrom: buildSettings.buildSettingsFrom,
    buildSupport: buildSupport.buildSupport,
    CaddyAdminClient: caddy.CaddyAdminClient,
    firstAcmeAccount: acmeAccount.firstAcmeAccount,
    exportCommit: checkout.exportCommit,
    IsomorphicGitReader: isomorphic.IsomorphicGitReader,
    PodmanCli: podman.PodmanCli,
    ResticCli: restic.ResticCli,
    ExternalCalls: externalCalls.ExternalCalls,
    podmanEventFollower: podmanEvents.podmanEventFollower,
    podmanStatsReader: podmanStats.podmanStatsReader,
    readAccessLog: accessLog.readAccessLog,
    networkProber: prober.networkProber,
    openStores: stores.openStores,
    hostPortFloor: host.hostPortFloor,
    limitsNotEnforced: host.limitsNotEnforced,
    boxReader: box.boxReader,
    boxLimitsFrom: box.boxLimitsFrom,
    proxy: { proxySecret: stores.proxySecret, readProxySecret: stores.readProxySecret },
  };
}

/** Builds an engine with the real drivers and the data directory's stores (opened here, once) for the settings. */
export async function realEngine(settings: Settings, env: NodeJS.ProcessEnv = process.env): Promise<Engine> {
  const {
    pino,
    buildSettingsFrom,
    buildSupport,
    CaddyAdminClient,
    firstAcmeAccount,
    exportCommit,
    IsomorphicGitReader,
    PodmanCli,
    networkProber,
    openStores,
    hostPortFloor,
    limitsNotEnforced,
    ResticCli,
    ExternalCalls,
    podmanEventFollower,
    podmanStatsReader,
    readAccessLog,
    boxReader,
    boxLimitsFrom,
    proxy,
  } = await loadDrivers();
  const externalCalls = new ExternalCalls();
  const logger = pino(
    { level: env.HIY_LOG_LEVEL ?? 'warn', base: { instance: settings.instance } },
    pino.destination(2),
  );
  const stores = openStores(settings.dataDir, { env });
  const notEnforced = settings.limitsNotEnforced ?? (await limitsNotEnforced());
  return {
    // Rootless, host ports under net.ipv4.ip_unprivileged_port_start are a validate error, not a failed apply,
    // and a resource limit Podman cannot enforce is a warning and a condition, not silently lost.
    settings: {
      ...settings,
      portFloor: settings.portFloor ?? (await hostPortFloor()),
      limitsNotEnforced: notEnforced,
    },
    podman: new PodmanCli({
      binary: env.HIY_PODMAN ?? 'podman',
      shimBinary: env.HIY_BUSYBOX ?? '/bin/busybox',
      externalCalls,
    }),
    caddy: firstAcmeAccount(
      settings,
      new CaddyAdminClient({
        adminUrl: settings.caddyAdmin,
        listenSettings: { [settings.httpAddr]: 'HIY_HTTP_ADDR', [settings.httpsAddr]: 'HIY_HTTPS_ADDR' },
        proxySecret: {
          read: () => proxy.readProxySecret(settings.dataDir),
          ensure: () => proxy.proxySecret(settings.dataDir),
        },
        certificates: {
          server: objectNames(settings.instance).caddyServer,
          source: stores.secrets.readOnly(),
        },
        externalCalls,
        // Caddy may be shared (other instances, the user's own servers): a load writes only this instance's part.
        owner: objectNames(settings.instance).caddyServer,
      }),
    ),
    git: new IsomorphicGitReader(),
    prober: networkProber,
    // `git archive` of an App's commit: the one git process a reconcile may start.
    exportCommit: (...args) => {
      externalCalls.count('git');
      return exportCommit(...args);
    },
    restic: new ResticCli({ binary: env.HIY_RESTIC ?? 'restic', externalCalls }),
    externalCalls,
    // The box's room, read before a plan that starts containers is judged (HIY_BOX_*_LIMIT lower it).
    readBox: boxReader(boxLimitsFrom(env)),
    followPodmanEvents: podmanEventFollower({ binary: env.HIY_PODMAN ?? 'podman', externalCalls }),
    usageProbes: {
      containerStats: podmanStatsReader({ binary: env.HIY_PODMAN ?? 'podman', externalCalls }),
      // The file HIY's Caddy server logs to (model/routing.ts: accessLogFile), read where the last sample stopped.
      accessLog: (cursor) => readAccessLog(accessLogFile(settings.dataDir), cursor),
    },
    logger,
    stores,
    // Builds are not capped where Podman cannot enforce limits (runc refuses a build container with one).
    build: buildSupport(buildSettingsFrom(env, notEnforced), env),
  };
}

/** How long CLI commands wait for the apply lock. */
export const LOCK_WAIT_MS = 120_000;

export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv, {
    io: {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
      env: process.env,
      readStdin: async () => {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      },
    },
    makeEngine: async (settings, env) => ({
      ...(await realEngine(settings, env)),
      // A shell command waits for a daemon run in progress rather than failing; `hiy daemon` sets its own.
      lockWaitMs: LOCK_WAIT_MS,
      onLockWait: (busy) =>
        process.stderr.write(
          `hiy: waiting for the apply lock (pid ${busy.data.pid}, since ${busy.data.since})…\n`,
        ),
    }),
  });
  exitWith(code);
}
