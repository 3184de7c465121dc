// Starts a throwaway real Caddy on loopback ports, with its own HOME and storage, for integration tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

export interface RunningCaddy {
  /** e.g. `http://127.0.0.1:41234`. */
  adminUrl: string;
  /** The config Caddy was started with (only `admin.listen`); every load must keep it or the admin API moves. */
  baseConfig: Record<string, unknown>;
  /** A free loopback port for HIY's HTTP server (`127.0.0.1:httpPort`). */
  httpPort: number;
  /** Caddy's data directory (its storage: certificates, the local CA), what HIY_CADDY_DATA_DIR names. */
  dataDir: string;
  /** What Caddy printed so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `caddy run` with an admin API on a free loopback port and waits until it answers. Giving the ports
 * starts a fresh Caddy where a stopped one was (a "restarted Caddy" that lost its config).
 */
export async function startCaddy(
  opts: { bin?: string; adminPort?: number; httpPort?: number } = {},
): Promise<RunningCaddy> {
  const dir = await mkdtemp(join(tmpdir(), 'hiy-caddy-'));
  const adminPort = opts.adminPort ?? (await freePort());
  const httpPort = opts.httpPort ?? (await freePort());
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const baseConfig = { admin: { listen: `127.0.0.1:${adminPort}` } };
  const configFile = join(dir, 'caddy.json');
  await writeFile(configFile, JSON.stringify(baseConfig));

  let output = '';
  const child = spawn(opts.bin ?? 'caddy', ['run', '--config', configFile], {
    cwd: dir,
    // A fresh HOME and XDG dirs: autosave, certificates and locks never touch the user's Caddy storage.
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: dir,
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_CONFIG_HOME: join(dir, 'config'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Enough for minutes of Caddy's chatty maintenance log, so an earlier error line survives for a failure message.
  const append = (b: Buffer) => {
    output = (output + b.toString()).slice(-400_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: unknown;
  child.once('error', (err) => {
    spawnError = err;
  });

  const stop = async () => {
    await kill(child, exited);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      async () => {
        if (spawnError) throw spawnError;
        if (child.exitCode !== null) throw new Error(`caddy exited with ${child.exitCode}: ${output}`);
        const res = await fetch(`${adminUrl}/config/`, { signal: AbortSignal.timeout(1000) });
        return res.ok;
      },
      { timeoutMs: 15_000, intervalMs: 50, what: `caddy's admin API at ${adminUrl}` },
    );
  } catch (err) {
    await stop();
    throw new Error(`caddy did not start: ${output}`, { cause: err });
  }
  return { adminUrl, baseConfig, httpPort, dataDir: join(dir, 'data', 'caddy'), output: () => output, stop };
}

/** SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), 5000).unref());
  if ((await Promise.race([exited, timer])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}
