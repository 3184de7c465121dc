// One apply at a time, always: several `hiy apply` processes and a `hiy daemon` started at once, round after
// round; never two lock holders, every apply applies or waits (exit 0), and the box converges.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const APPLIES = 6;
const ROUNDS = 3;

interface Proc {
  name: string;
  child: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
}

function spawnHiy(h: Harness, name: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/support/hiy-cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...h.env, HIY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { name, child, out: () => out, exited };
}

/** Each `enter` of the trace must follow the previous holder's `leave`; returns how many held the lock. */
function assertNeverTwoHolders(trace: string): number {
  let holder: string | undefined;
  let enters = 0;
  for (const line of trace.split('\n').filter(Boolean)) {
    const [what, pid, token] = line.split(' ');
    if (what === 'enter') {
      assert.equal(holder, undefined, `pid ${pid} took the apply lock while ${holder} held it:\n${trace}`);
      holder = `${pid} ${token}`;
      enters++;
    } else {
      assert.equal(`${pid} ${token}`, holder, `pid ${pid} let go of a lock it did not hold:\n${trace}`);
      holder = undefined;
    }
  }
  assert.equal(holder, undefined, 'every holder let go');
  return enters;
}

describe('one apply at a time (hiy apply × 6 and hiy daemon at once)', () => {
  let h: Harness;
  const procs: Proc[] = [];

  before(async () => {
    h = await startHarness({
      'web.yaml': webPort('web', 'web.test', { text: 'r0' }),
      'db.yaml': webPort('db', 'db.test', { text: 'r0', volume: true }),
    });
  });

  after(async () => {
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await h.cleanup();
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: every apply exits 0, never two holders, converged`, async () => {
      // Each round changes both kinds of upgrade: start-first (web, a `_next` container) and stop-first (db).
      await h.commit({
        'web.yaml': webPort('web', 'web.test', { text: `r${round}` }),
        'db.yaml': webPort('db', 'db.test', { text: `r${round}`, volume: true }),
      });
      const trace = join(h.root, `lock-trace-${round}`);
      await writeFile(trace, '');
      const env = { HIY_TEST_LOCK_TRACE: trace };
      const daemon = spawnHiy(h, 'daemon', ['daemon', '--api-addr', '127.0.0.1:0'], env);
      const applies = Array.from({ length: APPLIES }, (_, i) => spawnHiy(h, `apply ${i}`, ['apply'], env));
      procs.push(daemon, ...applies);
      try {
        const codes = await Promise.all(applies.map((p) => p.exited));
        const outputs = applies.map((p) => `--- ${p.name} (exit ${p.child.exitCode})\n${p.out()}`).join('\n');
        assert.deepEqual(codes, Array(APPLIES).fill(0), outputs);
        // The daemon's startup run has happened (it may have waited for the applies) before it is stopped.
        await waitFor(() => /"msg":"apply finished"/.test(daemon.out()), {
          timeoutMs: 120_000,
          what: `the daemon's first run\n${daemon.out()}`,
        });
      } finally {
        daemon.child.kill('SIGTERM');
      }
      assert.equal(await daemon.exited, 0, daemon.out());
      const outputs = applies.map((p) => `--- ${p.name}\n${p.out()}`).join('\n');
      const all = `${outputs}\n--- daemon\n${daemon.out()}`;
      assert.doesNotMatch(all, /took over a stale apply lock/, 'every holder was alive: nothing is stale');
      assert.doesNotMatch(all, /already in use/);
      // The daemon and every apply held the lock, one after the other.
      assert.ok(assertNeverTwoHolders(await readFile(trace, 'utf8')) >= APPLIES + 1);
      const plan = await h.hiy(['plan', '--detailed-exitcode']);
      assert.equal(plan.code, 0, `not converged:\n${plan.out}${plan.err}`);
      assert.equal((await h.get('web.test')).body.trim(), `r${round}:hello`);
      assert.equal((await h.get('db.test')).body.trim(), `r${round}:hello`);
    });
  }
});
