// daemon-50: a real `hiy daemon` process with 50 Ports: commit-to-serving latency of a config-only change, the
// event-fed no-op reconcile (its duration and external calls, from /metrics), idle resident memory, and idle CPU
// over one minute (/proc/PID/stat).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../test/support/hiy.js';
import { waitFor } from '../test/support/ports.js';
import { type BenchContext, fmtMs, type Result, stats, withCleanup } from './lib.js';

const COUNT = 50;
const ROOT = new URL('../', import.meta.url).pathname;
const LATENCY_TARGET_MS = 2000;
const RSS_TARGET_MIB = 80;
const CPU_TARGET_PCT = 1;
const NOOP_TARGET_MS = 20;

/** What the daemon's /metrics says: successful runs, their summed duration, external calls by all targets. */
export async function daemonMetrics(api: string): Promise<{ runs: number; seconds: number; calls: number }> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const value = (prefix: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(prefix))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  return {
    runs: value('hiy_reconcile_runs_total{result="ok"}'),
    seconds: value('hiy_reconcile_duration_seconds_sum'),
    calls: value('hiy_external_calls_total{'),
  };
}

/**
 * Samples the daemon's event-fed no-op: each commit (changing no resource) wakes one run; its duration and external
 * calls come from the daemon's /metrics, away from the resync (second 0 of every minute, which lists everything
 * again by design). A sample another run overlapped is taken again (at most 3 × samples tries).
 */
export async function eventFedNoops(
  api: string,
  commit: (i: number) => Promise<unknown>,
  opts: { samples: number; timeoutMs: number; log: () => string },
): Promise<{ noopMs: number[]; noopCalls: number[] }> {
  const noopMs: number[] = [];
  const noopCalls: number[] = [];
  for (let i = 0, tries = 0; i < opts.samples && tries < opts.samples * 3; tries++) {
    await sleep(1000);
    if (new Date().getSeconds() > 45) await sleep((62 - new Date().getSeconds()) * 1000);
    const m0 = await daemonMetrics(api);
    await commit(i);
    const m1 = (await waitFor(
      async () => {
        const m = await daemonMetrics(api);
        return m.runs > m0.runs ? m : undefined;
      },
      { timeoutMs: opts.timeoutMs, intervalMs: 20, what: `the no-op run of commit ${i}: ${opts.log()}` },
    ))!;
    await sleep(300);
    if ((await daemonMetrics(api)).runs !== m1.runs) continue; // another run came along: sample again
    noopMs.push((m1.seconds - m0.seconds) * 1000);
    noopCalls.push(m1.calls - m0.calls);
    i++;
  }
  return { noopMs, noopCalls };
}
/** A 1 MiB young generation: an idle daemon keeps ~40 MiB less resident than with node's default of 16 MiB. */
export const DAEMON_NODE_FLAGS = '--max-semi-space-size=1 --lite-mode --no-expose-wasm';

/** utime+stime and cutime+cstime of a process, in clock ticks (fields 14–17 of /proc/PID/stat). */
export async function cpuTicks(pid: number): Promise<{ own: number; children: number }> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after its closing parenthesis are plain.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state), so field N is f[N - 3].
  return { own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
}

export async function rssMiB(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchDaemon(ctx: BenchContext): Promise<Result[]> {
  const samples = ctx.quick ? 5 : 9;
  const idleMs = ctx.quick ? 20_000 : 60_000;
  ctx.log('daemon-50: building dist/ (the daemon runs as `node bin/hiy.js daemon`, as in production)...');
  await execa('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  const files: Record<string, string> = {};
  for (let i = 0; i < COUNT; i++) files[`ports/web${i}.yaml`] = webPort(`web${i}`, `web${i}.bench.test`);
  let h: Harness | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  return withCleanup(
    'daemon-50 harness and daemon',
    async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(30_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      await h?.cleanup();
    },
    async () => {
      h = await startHarness(files);
      ctx.log(`daemon-50: applying ${COUNT} Ports (setup, not measured)...`);
      const setup = await h.hiy(['apply']);
      if (setup.code !== 0) throw new Error(`daemon-50: setup apply failed: ${setup.err}${setup.out}`);
      let log = '';
      // The node flags contrib/hiy.service and `make demo` use (HIY_BENCH_NODE_FLAGS overrides them, e.g. '').
      const nodeFlags = (process.env.HIY_BENCH_NODE_FLAGS ?? DAEMON_NODE_FLAGS).split(/\s+/).filter(Boolean);
      child = spawn(process.execPath, [...nodeFlags, join(ROOT, 'bin/hiy.js'), 'daemon'], {
        cwd: ROOT,
        env: { ...process.env, ...h.env, HIY_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (d) => {
        log = (log + d).slice(-5000);
      });
      child.stderr?.on('data', (d) => {
        log = (log + d).slice(-5000);
      });
      exited = new Promise((r) => child!.once('exit', r));
      const pid = child.pid!;
      await waitFor(() => existsSync(join(h!.dataDir, 'daemon.json')), {
        timeoutMs: 30_000,
        what: `the daemon to start: ${log}`,
      });
      await sleep(3000); // the startup run (a no-op: everything was applied)

      // Latency of a config-only change (a new route host: no new container, one Caddy load), and, for
      // information, of an env change (a start-first container replacement with its health check).
      const serves = (host: string, body: string) =>
        waitFor(
          async () => {
            const r = await h!.get(host).catch(() => ({ status: 0, body: '' }));
            return r.status === 200 && r.body.trim() === body;
          },
          { timeoutMs: 60_000, intervalMs: 20, what: `${host} to serve ${body}: ${log}` },
        );
      const latencies: number[] = [];
      const envLatencies: number[] = [];
      for (let i = 0; i < samples; i++) {
        const extra = `web0-r${i}.bench.test`;
        const yaml = webPort('web0', 'web0.bench.test').replace(
          '  routes:\n',
          `  routes:\n    - host: ${extra}\n      port: 8080\n`,
        );
        let start = performance.now();
        await h.commit({ 'ports/web0.yaml': yaml });
        await serves(extra, 'web0:hello');
        latencies.push(performance.now() - start);
        await sleep(1500);
        const greeting = `bench-${i}`;
        start = performance.now();
        await h.commit({
          'ports/web1.yaml': webPort('web1', 'web1.bench.test', { env: { GREETING: greeting } }),
        });
        await serves('web1.bench.test', `web1:${greeting}`);
        envLatencies.push(performance.now() - start);
        ctx.log(
          `daemon-50: sample ${i + 1}/${samples}: route change served after ${fmtMs(latencies.at(-1)!)}, env change after ${fmtMs(envLatencies.at(-1)!)}`,
        );
        await sleep(1500); // let the run finish its removals phase before the next commit
      }

      // The event-fed no-op: a commit that changes no resource wakes a run, which plans from the observation
      // cache. Its duration and external calls come from the daemon's own /metrics, away from the resync (second 0
      // of every minute), which lists everything again by design.
      const api = JSON.parse(await readFile(join(h.dataDir, 'daemon.json'), 'utf8')).endpoints.api as string;
      const { noopMs, noopCalls } = await eventFedNoops(
        api,
        (i) => h!.commit({ 'README.md': `no-op ${i}\n` }),
        {
          samples,
          timeoutMs: 30_000,
          log: () => log,
        },
      );
      ctx.log(
        `daemon-50: event-fed no-op runs: ${noopMs.map((ms) => fmtMs(ms)).join(', ')}; external calls ${noopCalls.join(', ')}`,
      );

      // Idle: settle, then measure memory and CPU over the window (one resync a minute happens inside it).
      ctx.log(`daemon-50: idle for ${idleMs / 1000} s, measuring RSS and CPU...`);
      await sleep(10_000);
      const clk = Number((await execa('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
      const t0 = performance.now();
      const c0 = await cpuTicks(pid);
      const rss: number[] = [];
      while (performance.now() - t0 < idleMs) {
        rss.push(await rssMiB(pid));
        await sleep(Math.min(5000, idleMs / 6));
      }
      const c1 = await cpuTicks(pid);
      const seconds = (performance.now() - t0) / 1000;
      const ownPct = ((c1.own - c0.own) / clk / seconds) * 100;
      const withChildrenPct = ((c1.own - c0.own + c1.children - c0.children) / clk / seconds) * 100;
      const lat = stats(latencies);
      const mem = stats(rss);
      const noop = stats(noopMs);
      const maxCalls = Math.max(...noopCalls);
      return [
        {
          name: 'daemon-50 no-op reconcile (event-fed)',
          group: 'daemon-50',
          samplesMs: noopMs,
          stats: noop,
          target: `0 external calls, median ≤ ${NOOP_TARGET_MS} ms`,
          verdict: maxCalls === 0 && noop.median <= NOOP_TARGET_MS ? 'pass' : 'FAIL',
          note: `a commit changing no resource: state repo read + plan from the observation cache; external calls per run ${noopCalls.join(', ')} (hiy_external_calls_total)`,
          extra: { externalCalls: noopCalls },
        },
        {
          name: 'daemon-50 commit → serving (config-only)',
          group: 'daemon-50',
          samplesMs: latencies,
          stats: lat,
          target: `median ≤ ${LATENCY_TARGET_MS / 1000} s`,
          verdict: lat.median <= LATENCY_TARGET_MS ? 'pass' : 'FAIL',
          note: `a new route host on 1 of ${COUNT} Ports: ref watcher → plan (state repo read + 3 observation calls) → one Caddy load`,
        },
        {
          name: '↳ env change (container replaced)',
          group: 'daemon-50',
          samplesMs: envLatencies,
          stats: stats(envLatencies),
          target: '',
          verdict: 'info',
          note: 'start-first: new container, health check (250 ms probes), one Caddy load, then the old one goes',
        },
        {
          name: 'daemon-50 idle RSS',
          group: 'daemon-50',
          samplesMs: rss,
          stats: mem,
          unit: 'MiB',
          target: `≤ ${RSS_TARGET_MIB} MiB`,
          verdict: mem.max <= RSS_TARGET_MIB ? 'pass' : 'FAIL',
          note: `VmRSS of the real daemon process (node ${nodeFlags.join(' ')} bin/hiy.js daemon), ${rss.length} samples over ${seconds.toFixed(0)} s idle`,
        },
        {
          name: 'daemon-50 idle CPU',
          group: 'daemon-50',
          samplesMs: [ownPct],
          stats: stats([ownPct]),
          unit: '%',
          target: `< ${CPU_TARGET_PCT} %`,
          verdict: ownPct < CPU_TARGET_PCT ? 'pass' : 'FAIL',
          note: `utime+stime over ${seconds.toFixed(0)} s (resync every minute); with its podman children ${withChildrenPct.toFixed(2)} %`,
          extra: { withChildrenPct, seconds, clk },
        },
      ];
    },
  );
}
