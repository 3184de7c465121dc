// A throwaway HIY for integration tests: a real Caddy, a state repo in git, a data dir, a unique instance.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { runCli } from '../../src/cli/run.js';
import type { CaddyAdminClient } from '../../src/drivers/caddy/client.js';
import type { PodmanCli } from '../../src/drivers/podman/runner.js';
import type { PodmanDriver } from '../../src/drivers/podman/types.js';
import type { Engine } from '../../src/engine/engine.js';
import { LOCK_WAIT_MS, realEngine } from '../../src/main.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { type RunningCaddy, startCaddy } from './caddy.js';
import { cleanupInstance, ensureBusyboxImage, testInstance } from './podman.js';
import { freePort } from './ports.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
  /** External calls the command made: podman processes and Caddy admin requests. */
  calls: { podman: number; caddy: number };
}

export interface Harness {
  instance: string;
  caddy: RunningCaddy;
  /** The port of this HIY's HTTP server in Caddy (`caddy.httpPort` unless the Caddy is shared). */
  httpPort: number;
  dataDir: string;
  /** The data directory's stores, for tests to read what HIY recorded (status, events, releases…). */
  stores: Stores;
  stateDir: string;
  root: string;
  /**
   * The settings of this HIY as HIY_* variables. Every listener gets a free loopback address, never a default
   * (tests run while the defaults are held, see ./defaultPorts.ts): Caddy's admin API and HTTP server, an HTTPS
   * address, and `HIY_API_ADDR=127.0.0.1:0` (a daemon picks a free port and names it in DATA_DIR/daemon.json).
   */
  env: NodeJS.ProcessEnv;
  /**
   * Runs `hiy ARGS` in-process with the real drivers; `wrapPodman` may put a test double around one step of
   * the real Podman driver (e.g. a corrupt export), never replace it.
   */
  hiy(
    args: string[],
    env?: NodeJS.ProcessEnv,
    wrapPodman?: (p: PodmanDriver) => PodmanDriver,
  ): Promise<CliRun>;
  /** Writes files (path → content, null deletes) into the state repo and commits them. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  /** GET through HIY's Caddy server with a Host header. */
  get(host: string, path?: string): Promise<{ status: number; body: string }>;
  cleanup(): Promise<void>;
}

export async function git(dir: string, args: string[]): Promise<string> {
  const r = await execa('git', [
    '-C',
    dir,
    '-c',
    'user.name=test',
    '-c',
    'user.email=test@hiy.invalid',
    ...args,
  ]);
  return r.stdout.trim();
}

/** Creates a git repository with the given files committed on `main`. */
export async function makeRepo(dir: string, files: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  for (const [p, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), text);
  }
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', 'initial']);
  return git(dir, ['rev-parse', 'HEAD']);
}

export function httpGet(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection per request (agent: false): every Caddy config load closes idle keep-alive
    // connections, and a client reusing one at that instant gets "socket hang up" — a race of keep-alive
    // itself (browsers retry it), not of the route switch these tests check.
    const req = request(
      { host: '127.0.0.1', port, path, headers: { Host: host }, timeout: 5000, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/**
 * A throwaway HIY with `initial` committed to its state repo. With `opts.caddy` it shares that Caddy (its HTTP server
 * on a port of its own) and leaves it running on cleanup; otherwise it starts its own Caddy and stops it.
 */
export async function startHarness(
  initial: Record<string, string> = {},
  opts: { caddy?: RunningCaddy } = {},
): Promise<Harness> {
  await ensureBusyboxImage();
  const instance = testInstance();
  const root = await mkdtemp(join(tmpdir(), 'hiy-it-'));
  const stateDir = join(root, 'state');
  const dataDir = join(root, 'data');
  await makeRepo(stateDir, { 'README.md': 'state repo\n', ...initial });
  const httpsPort = await freePort();
  const caddy = opts.caddy ?? (await startCaddy());
  const httpPort = opts.caddy ? await freePort() : caddy.httpPort;
  const env: NodeJS.ProcessEnv = {
    HIY_STATE: stateDir,
    HIY_DATA_DIR: dataDir,
    HIY_CADDY_ADMIN: caddy.adminUrl,
    // Caddy's storage, as set-up writes it: certificates are read there, and ACME's first account is awaited there.
    HIY_CADDY_DATA_DIR: caddy.dataDir,
    HIY_INSTANCE: instance,
    HIY_TLS: 'off',
    HIY_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    HIY_HTTPS_ADDR: `127.0.0.1:${httpsPort}`,
    HIY_API_ADDR: '127.0.0.1:0',
    HIY_LOG_LEVEL: 'silent',
  };
  const harness: Harness = {
    instance,
    caddy,
    httpPort,
    dataDir,
    stores: openStores(dataDir),
    stateDir,
    root,
    env,
    async hiy(args, extra = {}, wrapPodman) {
      let out = '';
      let err = '';
      const engines: Engine[] = [];
      const mergedEnv = { ...env, ...extra };
      const code = await runCli(args, {
        io: {
          out: (t) => {
            out += t;
          },
          err: (t) => {
            err += t;
          },
          env: mergedEnv,
        },
        makeEngine: async (settings) => {
          // As in src/main.ts: commands wait for a run in progress (a daemon's) instead of failing.
          const e: Engine = { ...(await realEngine(settings, mergedEnv)), lockWaitMs: LOCK_WAIT_MS };
          engines.push(e);
          return wrapPodman ? { ...e, podman: wrapPodman(e.podman) } : e;
        },
      });
      const calls = { podman: 0, caddy: 0 };
      for (const e of engines) {
        calls.podman += (e.podman as PodmanCli).calls;
        calls.caddy += (e.caddy as CaddyAdminClient).calls;
      }
      return { code, out, err, calls };
    },
    async commit(files, message = 'change') {
      for (const [p, text] of Object.entries(files)) {
        if (text === null) await rm(join(stateDir, p), { force: true });
        else {
          await mkdir(dirname(join(stateDir, p)), { recursive: true });
          await writeFile(join(stateDir, p), text);
        }
      }
      await git(stateDir, ['add', '-A']);
      await git(stateDir, ['commit', '-q', '--allow-empty', '-m', message]);
      return git(stateDir, ['rev-parse', 'HEAD']);
    },
    get: (host, path) => httpGet(httpPort, host, path),
    async cleanup() {
      await cleanupInstance(instance);
      if (!opts.caddy) await caddy.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return harness;
}

/** A Port serving `text` at / with busybox httpd on 8080, routed at `host`. */
export function webPort(
  name: string,
  host: string,
  opts: { text?: string; env?: Record<string, string>; volume?: boolean } = {},
): string {
  const env = { GREETING: 'hello', ...(opts.env ?? {}) };
  const script = `mkdir -p /www && echo "${opts.text ?? name}:$GREETING" > /www/index.html && exec httpd -f -p 8080 -h /www`;
  return `apiVersion: hiy/v1
kind: Port
metadata:
  name: ${name}
spec:
  image: localhost/hiy/busybox:latest
  command: ["/bin/sh", "-c", ${JSON.stringify(script)}]
  env:
${Object.entries(env)
  .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
  .join('\n')}
${opts.volume ? '  volumes:\n    - name: data\n      mountPath: /data\n' : ''}  routes:
    - host: ${host}
      port: 8080
  healthcheck:
    http: { path: /, port: 8080 }
    interval: 1s
    timeout: 20s
  stopGracePeriod: 1s
`;
}

/** A Containerfile (or Dockerfile) of a busybox httpd on 8080 serving `text`; `extra` lines go before CMD. */
export function webContainerfile(text: string, extra = ''): string {
  return `FROM localhost/hiy/busybox:latest
RUN mkdir -p /www && echo "${text}" > /www/index.html
${extra}
CMD ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]
`;
}
