// The demo's settings and sign-in, on a throwaway instance: scripts/demo-state.sh writes DATA_DIR/settings.env and
// commits a User, the daemon runs as make demo starts it, and then, from a shell with none of the daemon's
// environment (only --data-dir, which locates the settings file): `hiy plan` is empty, a command with other settings
// is refused, and the printed sign-in command works as printed, through the published dashboard host.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildBundle } from '../../scripts/build.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { freePort, waitFor } from '../support/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One HTTP request to HIY's Caddy server with a Host header (and a form body for POST). */
function send(
  port: number,
  host: string,
  path: string,
  form?: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: form ? 'POST' : 'GET',
        agent: false,
        timeout: 10_000,
        headers: {
          Host: host,
          ...(form ? { Origin: `http://${host}`, 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

describe('the demo’s settings file and sign-in (scripts/demo-state.sh)', () => {
  let h: Harness;
  let pkg: string;
  let daemon: ChildProcess | undefined;
  let daemonLog = '';
  let signIn = '';
  let dashHost: string;
  /** What a person's shell has: no HIY_* at all. */
  const plainEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  /** `node <pkg>/bin/hiy.js ARGS --data-dir DIR` from a plain shell. */
  const hiy = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    execa(process.execPath, [join(pkg, 'bin/hiy.js'), ...args, '--data-dir', h.dataDir], {
      cwd: tmpdir(),
      env: { ...plainEnv, ...extra },
      extendEnv: false,
      reject: false,
    });

  before(async () => {
    h = await startHarness();
    // The checkout as make demo sees it: bin/hiy.js, its bundle, the script and the schemas.
    pkg = await mkdtemp(join(tmpdir(), 'hiy-demo-pkg-'));
    await buildBundle(join(pkg, 'dist/bundle'));
    await mkdir(join(pkg, 'bin'));
    await mkdir(join(pkg, 'scripts'));
    await copyFile(join(ROOT, 'bin/hiy.js'), join(pkg, 'bin/hiy.js'));
    await copyFile(join(ROOT, 'scripts/demo-state.sh'), join(pkg, 'scripts/demo-state.sh'));
    await cp(join(ROOT, 'crds'), join(pkg, 'crds'), { recursive: true });
    const example = join(h.root, 'example');
    await mkdir(example);
    await writeFile(join(example, 'site.yaml'), webPort('site', `site-${h.instance}.localhost`));
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'demo@test', '-f', join(h.root, 'id')]);
    const pubkey = (await readFile(join(h.root, 'id.pub'), 'utf8')).trim();
    dashHost = `dash-${h.instance}.localhost`;
    // The settings make demo exports (a unique instance, free loopback addresses), then the script.
    const demoEnv = {
      ...plainEnv,
      HIY_DATA_DIR: h.dataDir,
      HIY_CADDY_ADMIN: h.env.HIY_CADDY_ADMIN,
      HIY_TLS: 'off',
      HIY_HTTP_ADDR: h.env.HIY_HTTP_ADDR,
      HIY_HTTPS_ADDR: h.env.HIY_HTTPS_ADDR,
      HIY_INSTANCE: h.instance,
      HIY_API_ADDR: `127.0.0.1:${await freePort()}`,
      HIY_DASHBOARD_HOST: dashHost,
    };
    const made = await execa('bash', [join(pkg, 'scripts/demo-state.sh')], {
      env: {
        ...demoEnv,
        DEMO_EXAMPLE: example,
        DEMO_STATE: join(h.root, 'demo', 'state'),
        DEMO_PUBKEY: pubkey,
        DEMO_USER: 'Test.User',
      },
      extendEnv: false,
    });
    signIn = made.stdout.trim().split('\n').at(-1) ?? '';
    // The daemon as make demo starts it: with the settings in its environment.
    daemon = spawn(process.execPath, [join(pkg, 'bin/hiy.js'), 'daemon'], {
      cwd: pkg,
      env: { ...demoEnv, HIY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout?.on('data', (d) => {
      daemonLog += d;
    });
    daemon.stderr?.on('data', (d) => {
      daemonLog += d;
    });
    const head = (
      await execa('git', ['-C', join(h.root, 'demo', 'state'), 'rev-parse', 'HEAD'])
    ).stdout.trim();
    await waitFor(
      async () => {
        const r = await hiy(['status', '--json']);
        const s = JSON.parse(r.stdout) as { lastAppliedCommit?: string; resources: { pending?: boolean }[] };
        return s.lastAppliedCommit === head && s.resources.every((x) => !x.pending);
      },
      { timeoutMs: 120_000, intervalMs: 500, what: `the daemon to apply the demo's state\n${daemonLog}` },
    );
    await waitFor(async () => (await h.get(dashHost, '/login')).status === 200, {
      timeoutMs: 30_000,
      what: 'the dashboard published at its host',
    });
  });

  after(async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await exited;
    }
    await h?.cleanup();
    if (pkg) await rm(pkg, { recursive: true, force: true });
  });

  it('writes the settings file, and hiy settings reads it with none of the daemon’s environment', async () => {
    const file = await readFile(join(h.dataDir, 'settings.env'), 'utf8');
    assert.match(file, new RegExp(`^HIY_DASHBOARD_HOST=${dashHost}$`, 'm'));
    assert.match(file, /^HIY_TLS=off$/m);
    assert.match(file, new RegExp(`^HIY_STATE=${join(h.root, 'demo', 'state')}$`, 'm'));
    const r = await hiy(['settings', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const view = JSON.parse(r.stdout) as {
      settings: { name: string; value: string | null; source: string }[];
      daemon: { differences: unknown[] } | null;
    };
    const tls = view.settings.find((s) => s.name === 'HIY_TLS');
    assert.deepEqual([tls?.value, tls?.source], ['off', 'file']);
    assert.deepEqual(view.daemon?.differences, [], 'the same plan settings as the running daemon');
  });

  it('hiy plan from a plain shell plans nothing: the daemon’s Caddy, TLS and dashboard route are kept', async () => {
    const r = await hiy(['plan', '--detailed-exitcode']);
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /other settings/);
  });

  it('a command with other settings than the daemon’s says so and refuses to apply', async () => {
    const r = await hiy(['apply'], {
      HIY_DASHBOARD_HOST: `other-${h.instance}.localhost`,
      HIY_TLS: 'internal',
    });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /has other settings than this command/);
    assert.match(r.stderr, new RegExp(`HIY_DASHBOARD_HOST: the daemon has ${dashHost}, this command other-`));
    assert.match(r.stderr, /HIY_TLS: the daemon has off, this command internal/);
    assert.match(r.stderr, /--force-settings/);
    assert.equal((await h.get(dashHost, '/login')).status, 200, 'the dashboard route is still there');
  });

  it('commits a User for the person, and the printed sign-in command works as printed', async () => {
    const user = await readFile(join(h.root, 'demo', 'state', 'user-test-user.yaml'), 'utf8');
    assert.match(user, /name: test-user/);
    assert.match(user, /app: "\*"\n\s+role: admin/);
    assert.match(signIn, /^node \S+\/bin\/hiy\.js login test-user --data-dir \S+$/);
    const r = await execa('bash', ['-c', signIn], {
      env: plainEnv,
      extendEnv: false,
      cwd: tmpdir(),
      reject: false,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const url = new URL(r.stdout.trim().split('\n').at(-1) ?? '');
    assert.equal(url.host, `${dashHost}:${h.caddy.httpPort}`, 'the published dashboard, not the API address');
    assert.equal(url.pathname, '/login/link');
    const page = await send(h.caddy.httpPort, url.host, `${url.pathname}${url.search}`);
    assert.equal(page.status, 200, page.body);
    const used = await send(h.caddy.httpPort, url.host, '/login/link', {
      t: url.searchParams.get('t') ?? '',
    });
    assert.equal(used.status, 303, used.body);
    assert.match(String(used.headers['set-cookie']), /hiy_session|session/i);
  });

  it('hiy logs of no resource says so in HIY’s words, without Podman’s error line', async () => {
    const r = await hiy(['logs', 'nosuch']);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /no resource nosuch/);
    assert.doesNotMatch(r.stderr, /no container with|Error: /);
  });

  it('the dashboard serves its icon: no page asks for a missing resource', async () => {
    const page = await send(h.caddy.httpPort, dashHost, '/login');
    assert.match(page.body, /<link rel="icon" href="\/favicon\.svg" type="image\/svg\+xml">/);
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const icon = await send(h.caddy.httpPort, dashHost, path);
      assert.equal(icon.status, 200, path);
      assert.equal(icon.headers['content-type'], 'image/svg+xml');
      assert.match(icon.body, /^<svg /);
    }
  });

  it('hiy ssh-account writes a wrapper that reads the settings file rather than copying it', async () => {
    const r = await hiy(['ssh-account', '--dry-run', '--json', '--user', `u${h.instance}`.slice(0, 30)]);
    assert.equal(r.exitCode, 0, r.stderr);
    const { files } = JSON.parse(r.stdout) as { files: { wrapper: string } };
    assert.match(files.wrapper, new RegExp(`HIY_DATA_DIR=${h.dataDir}`));
    assert.doesNotMatch(files.wrapper, /HIY_TLS|HIY_DASHBOARD_HOST|HIY_STATE=/);
  });
});
