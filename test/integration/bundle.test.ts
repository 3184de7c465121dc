// The built artifact: `npm run build`'s bundle, laid out as installed (bin/hiy.js next to dist/bundle/) in a temp
// directory with no node_modules, run with plain node against a real harness: help, validate, plan, the git-shell
// refusal, the forced command's path, and the daemon with the flags of contrib/hiy.service.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { execa } from 'execa';
import { buildBundle } from '../../scripts/build.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

const USER = `apiVersion: hiy/v1
kind: User
metadata: { name: dev }
spec:
  sshKeys: ["${KEY} dev@laptop"]
  grants: [{ app: "*", role: deploy }]
`;

/** The source files in an output file and in everything it imports statically (what loading it loads). */
function staticInputs(meta: Metafile, start: string): Set<string> {
  const inputs = new Set<string>();
  const seen = new Set<string>();
  const visit = (out: string) => {
    if (seen.has(out)) return;
    seen.add(out);
    const o = meta.outputs[out];
    assert.ok(o, `no output ${out}`);
    for (const i of Object.keys(o.inputs)) inputs.add(i);
    for (const imp of o.imports) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  visit(start);
  return inputs;
}

describe('the built bundle (bin/hiy.js → dist/bundle/)', () => {
  let h: Harness;
  let pkg: string;
  let meta: Metafile;
  let daemon: ChildProcess | undefined;

  before(async () => {
    pkg = await mkdtemp(join(tmpdir(), 'hiy-bundle-'));
    meta = (await buildBundle(join(pkg, 'dist/bundle'))).metafile;
    await mkdir(join(pkg, 'bin'));
    await copyFile(join(ROOT, 'bin/hiy.js'), join(pkg, 'bin/hiy.js'));
    h = await startHarness({ 'web.yaml': webPort('web', 'web.bundle.test'), 'users.yaml': USER });
  });

  after(async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    await h?.cleanup();
    if (pkg) await rm(pkg, { recursive: true, force: true });
  });

  /** `node <pkg>/bin/hiy.js ARGS` with only PATH, HOME and the harness's settings in its environment. */
  const hiy = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    execa(process.execPath, [join(pkg, 'bin/hiy.js'), ...args], {
      cwd: pkg,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...h.env, ...extra },
      extendEnv: false,
      reject: false,
    });

  it('puts every file directly in dist/bundle/, where src/push/self.ts expects them', async () => {
    const entries = await readdir(join(pkg, 'dist/bundle'), { withFileTypes: true });
    assert.ok(entries.length > 2);
    assert.deepEqual(
      entries.filter((e) => !e.isFile()).map((e) => e.name),
      [],
    );
    assert.ok(existsSync(join(pkg, 'dist/bundle/main.js')));
    assert.ok(existsSync(join(pkg, 'dist/bundle/main.js.map')));
  });

  it('starts without loading a dependency, a driver or a command implementation', () => {
    const main = Object.keys(meta.outputs).find((o) => resolve(ROOT, o) === join(pkg, 'dist/bundle/main.js'));
    assert.ok(main);
    const loaded = [...staticInputs(meta, main)];
    assert.ok(loaded.includes('src/cli/commands/index.ts'));
    const heavy = loaded.filter(
      (i) =>
        i.includes('node_modules/') ||
        /^src\/(drivers|desired|reconcile|apply|observed|build|server)\//.test(i) ||
        /^src\/cli\/commands\/(?!index\.ts$)[^/]+(?<!\.meta)\.ts$/.test(i),
    );
    assert.deepEqual(heavy, []);
    // git-shell's implementation refuses a request with nothing from node_modules loaded either.
    const gitShell = Object.entries(meta.outputs).find(
      ([, o]) => o.entryPoint === 'src/cli/commands/git-shell.ts',
    )?.[0];
    assert.ok(gitShell);
    assert.deepEqual(
      [...staticInputs(meta, gitShell)].filter((i) => i.includes('node_modules/')),
      [],
    );
  });

  it('hiy --help lists every command', async () => {
    const r = await hiy(['--help']);
    assert.equal(r.exitCode, 0, r.stderr);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c.name} `, 'm'));
    assert.equal(r.stderr, '');
  });

  it('a usage error is one clear message and exit 1', async () => {
    const r = await hiy(['plan', '--no-such-flag']);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^hiy: .*no-such-flag/);
    assert.match(r.stderr, /Run hiy --help for usage\./);
  });

  it('hiy validate reads the state repo', async () => {
    const r = await hiy(['validate', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const v = JSON.parse(r.stdout) as { valid: boolean; resources: string[] };
    assert.equal(v.valid, true);
    assert.deepEqual([...v.resources].sort(), ['port/web', 'user/dev']);
  });

  it('hiy plan --json observes Podman and Caddy and plans the Port', async () => {
    const r = await hiy(['plan', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { actions: { kind: string; address: string }[] };
    assert.ok(
      plan.actions.some((a) => a.kind === 'container.create' && a.address.includes('web')),
      JSON.stringify(plan.actions),
    );
  });

  it('hiy git-shell refuses a hostile command in one line, before touching the disk', async () => {
    const r = await hiy(['git-shell', 'dev'], { SSH_ORIGINAL_COMMAND: 'sh -c id' });
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.match(r.stderr, /^hiy: refused "sh -c id": only git push and git fetch/);
    assert.equal(existsSync(join(h.dataDir, 'repos')), false);
  });

  it("the forced command runs the installed bin/hiy.js (self.ts's path from inside the bundle)", async () => {
    const r = await hiy(['authorized-keys']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(r.stdout.includes(` ${join(pkg, 'bin/hiy.js')} git-shell dev"`), r.stdout);
  });

  it('hiy daemon runs with the flags of contrib/hiy.service, serves the Port and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--max-semi-space-size=1',
        '--lite-mode',
        '--no-expose-wasm',
        join(pkg, 'bin/hiy.js'),
        'daemon',
        '--api-addr',
        '127.0.0.1:0',
      ],
      {
        cwd: pkg,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...h.env, HIY_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    daemon = child;
    let log = '';
    child.stdout?.on('data', (d) => {
      log += d;
    });
    child.stderr?.on('data', (d) => {
      log += d;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the daemon exited ${child.exitCode}: ${log}`);
        const r = await h.get('web.bundle.test').catch(() => undefined);
        return r?.status === 200 && r.body.includes('web:hello') ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'the Port served by the bundled daemon' },
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 0, log);
    // Its logs are pino's JSON lines on stderr.
    const first = log.split('\n').find((l) => l.startsWith('{'));
    assert.ok(first, log);
    assert.equal((JSON.parse(first) as { instance: string }).instance, h.instance);
  });
});
