// hiy daemon as a real process: SIGTERM during a run lets the run finish and exits 0; a restart picks up;
// one daemon per data directory; a bad --resync is a usage error.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { git, type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

const ROOT = new URL('../../', import.meta.url).pathname;

interface Proc {
  child: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
}

function spawnDaemon(h: Harness, args: string[] = []): Proc {
  let out = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/support/hiy-cli.ts'), 'daemon', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, ...h.env, HIY_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

/** A Port that takes about 3 s to become healthy: a run that is surely in progress when SIGTERM comes. */
function slowPort(text: string): string {
  return webPort('slow', 'slow.test', { text }).replace('mkdir -p /www', 'sleep 3 && mkdir -p /www');
}

describe('hiy daemon process lifecycle', () => {
  let h: Harness;
  const procs: Proc[] = [];

  before(async () => {
    h = await startHarness({ 'slow.yaml': slowPort('one') });
  });

  after(async () => {
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await h.cleanup();
  });

  it('a bad --resync is refused before anything starts', async () => {
    const p = spawnDaemon(h, ['--resync', 'every minute']);
    procs.push(p);
    assert.equal(await p.exited, 1);
    assert.match(p.out(), /is not a cron expression/);
    assert.equal(existsSync(join(h.dataDir, 'daemon.pid')), false);
  });

  it('SIGTERM during a run finishes that run and exits 0; a second daemon is refused meanwhile', async () => {
    const p = spawnDaemon(h, ['--resync', '*/5 * * * * *']);
    procs.push(p);
    // The startup run creates `slow`, whose health check takes ~3 s: wait until the run has started.
    await waitFor(() => /"reconcile started"/.test(p.out()), {
      timeoutMs: 30_000,
      what: 'a run in progress',
    });
    const second = spawnDaemon(h);
    procs.push(second);
    assert.equal(await second.exited, 1);
    assert.match(second.out(), /another hiy daemon \(pid \d+\) already runs/);
    p.child.kill('SIGTERM');
    const code = await p.exited;
    assert.equal(code, 0, p.out());
    assert.match(p.out(), /SIGTERM: finishing the run in progress/);
    assert.match(p.out(), /"reconcile finished"/);
    // The run was finished, not cut short: recorded as applied, the lock and the pid file released.
    const head = await git(h.stateDir, ['rev-parse', 'HEAD']);
    const status = await h.stores.status.read();
    assert.equal(status.lastAppliedCommit, head);
    assert.equal(status.resources['port/slow']?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(existsSync(join(h.dataDir, 'apply.lock')), false);
    assert.equal(existsSync(join(h.dataDir, 'daemon.pid')), false);
    assert.equal((await h.get('slow.test')).body.trim(), 'one:hello');
  });

  it('a restarted daemon picks up what was committed while it was down', async () => {
    await h.commit({ 'slow.yaml': slowPort('two') });
    const p = spawnDaemon(h, ['--resync', '*/5 * * * * *']);
    procs.push(p);
    await waitFor(
      async () => (await h.get('slow.test').catch(() => ({ body: '' }))).body.trim() === 'two:hello',
      {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: 'the commit made while the daemon was down',
      },
    );
    const info = JSON.parse(await readFile(join(h.dataDir, 'daemon.json'), 'utf8'));
    assert.equal(info.pid, p.child.pid);
    assert.equal(info.resync, '*/5 * * * * *');
    // The harness's HIY_API_ADDR=127.0.0.1:0: a free port, announced as bound, never the default 7070.
    assert.match(info.endpoints.api, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(info.endpoints.api).port, '7070');
    assert.equal((await fetch(`${info.endpoints.api}/healthz`)).status, 200);
    p.child.kill('SIGINT');
    assert.equal(await p.exited, 0, p.out());
  });
});
