// Composition root: builds the real drivers and runs the CLI. Nothing else constructs a driver.
import pino from 'pino';
import { buildSettingsFrom } from './build/settings.js';
import { buildSupport } from './build/support.js';
import { exitWith, runCli } from './cli/run.js';
import { CaddyAdminClient } from './drivers/caddy/client.js';
import { exportCommit } from './drivers/git/checkout.js';
import { IsomorphicGitReader } from './drivers/git/isomorphic.js';
import { PodmanCli } from './drivers/podman/runner.js';
import { networkProber } from './drivers/probe/prober.js';
import type { Settings } from './model/settings.js';
import type { Engine } from './reconcile/engine.js';

/** Builds an engine with the real drivers for the given settings. */
export function realEngine(settings: Settings, env: NodeJS.ProcessEnv = process.env): Engine {
  const logger = pino(
    { level: env.HIY_LOG_LEVEL ?? 'warn', base: { instance: settings.instance } },
    pino.destination(2),
  );
  return {
    settings,
    podman: new PodmanCli({
      binary: env.HIY_PODMAN ?? 'podman',
      shimBinary: env.HIY_BUSYBOX ?? '/bin/busybox',
    }),
    caddy: new CaddyAdminClient({ adminUrl: settings.caddyAdmin }),
    git: new IsomorphicGitReader(),
    prober: networkProber,
    exportCommit,
    logger,
    build: buildSupport(buildSettingsFrom(env)),
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
    makeEngine: (settings) => ({
      ...realEngine(settings),
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
