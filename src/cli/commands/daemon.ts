// `hiy daemon`: runs the reconciler unattended until SIGTERM/SIGINT (commits, resync, backoff, snapshots).

import { checkAcmeDirectory } from '../../drivers/acme/directory.js';
import { nodeFetch } from '../../drivers/http/fetch.js';
import { errorMessage } from '../../model/errors.js';
import type { Settings } from '../../model/settings.js';
import {
  backupsPlugin,
  CronExpressionError,
  type DaemonPlugin,
  DEFAULT_RESYNC,
  jobsPlugin,
  parseSampleInterval,
  startDaemon,
  usagePlugin,
} from '../../reconcile/index.js';
import { apiAndNotifyPlugins } from '../../server/plugin.js';
import { type CommandContext, type CommandRun, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { onTermination } from '../signals.js';

/**
 * Plug-ins started inside the daemon process once its controller exists (the HTTP API adds itself here,
 * driven by its own flags such as --api-addr). Each gets the Controller and may announce its URL.
 */
export function daemonPlugins(ctx: CommandContext, env: NodeJS.ProcessEnv): DaemonPlugin[] {
  return [
    ...(apiAndNotifyPlugins(str(ctx, 'api-addr') ?? env.HIY_API_ADDR, nodeFetch) as DaemonPlugin[]),
    jobsPlugin(),
    backupsPlugin(),
    usagePlugin({ intervalSeconds: sampleInterval(env) }),
  ];
}

/** HIY_SAMPLE_INTERVAL: how often the daemon samples CPU, memory and requests for the dashboard. */
function sampleInterval(env: NodeJS.ProcessEnv): number {
  try {
    return parseSampleInterval(env.HIY_SAMPLE_INTERVAL);
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
}

export interface DaemonCommandOptions {
  resync?: string;
  plugins?: DaemonPlugin[];
  /** Resolves when the daemon should stop; by default SIGTERM or SIGINT. */
  stopSignal?: Promise<string>;
}

export async function daemonCommand(
  deps: CliDeps,
  settings: Settings,
  opts: DaemonCommandOptions,
): Promise<number> {
  // An ACME directory that does not answer is refused now, in one line, rather than every issuance failing later.
  if (settings.tls === 'acme' && settings.acme?.ca)
    await checkAcmeDirectory({ ...settings.acme, ca: settings.acme.ca });
  const engine = await deps.makeEngine(settings);
  // A service logs what it does; an interactive command only warnings.
  engine.logger.level = deps.io.env.HIY_LOG_LEVEL ?? 'info';
  const resync = opts.resync ?? deps.io.env.HIY_RESYNC ?? DEFAULT_RESYNC;
  const termination = opts.stopSignal ? undefined : onTermination(deps.io.err);
  try {
    let daemon: Awaited<ReturnType<typeof startDaemon>>;
    try {
      daemon = await startDaemon({ engine, resync, plugins: opts.plugins ?? [] });
    } catch (err) {
      if (err instanceof CronExpressionError) throw new UsageError(`--resync / HIY_RESYNC: ${err.message}`);
      throw err;
    }
    deps.io.out(
      `hiy daemon: pid ${process.pid}, state repo ${settings.stateRepo} (${settings.branch}), resync "${resync}", data ${settings.dataDir}\n` +
        'Follow it with: hiy events --follow (JSON logs on stderr)\n',
    );
    const why = await (opts.stopSignal ?? termination!.signal);
    deps.io.out(`hiy daemon: ${why}: finishing the run in progress, then exiting\n`);
    await daemon.stop();
    deps.io.out('hiy daemon: stopped\n');
    return EXIT.ok;
  } finally {
    termination?.dispose();
  }
}

export const run: CommandRun = async (deps, settings, ctx) => {
  // The daemon retries a busy lock itself (and must stay responsive to SIGTERM meanwhile).
  const engine = { ...(await deps.makeEngine(settings)), lockWaitMs: 0 };
  // Caddy publishes the dashboard at HIY_DASHBOARD_HOST to the address the API really listens on.
  const apiAddr = str(ctx, 'api-addr');
  if (apiAddr && engine.settings.dashboardHost) engine.settings = { ...engine.settings, apiAddr };
  return daemonCommand({ ...deps, makeEngine: async () => engine }, settings, {
    resync: str(ctx, 'resync'),
    plugins: daemonPlugins(ctx, deps.io.env),
  });
};
