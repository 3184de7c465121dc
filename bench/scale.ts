// scale-1000 (opt-in): N Ports (busybox httpd, a route each, a volume for a third; N from HIY_BENCH_SCALE_N, default
// 1,000) converged from empty by `hiy apply`, then a real `hiy daemon` over them: memory per container, daemon idle
// RSS and CPU, the event-fed no-op, commit → serving of one changed route, and `hiy status` latency.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../test/support/hiy.js';
import { waitFor } from '../test/support/ports.js';
import { cpuTicks, DAEMON_NODE_FLAGS, daemonMetrics, eventFedNoops, rssMiB } from './daemon.js';
import { type BenchContext, fmtMs, type Result, stats, timed, withCleanup } from './lib.js';

const ROOT = new URL('../', import.meta.url).pathname;
const NOOP_TARGET_MS = 200;
const SERVING_TARGET_MS = 2000;
const RSS_TARGET_MIB = 128;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The number of Ports: HIY_BENCH_SCALE_N (default 1,000). */
export function scaleCount(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.HIY_BENCH_SCALE_N ?? 1000);
  if (!Number.isInteger(n) || n < 2)
    throw new Error(`HIY_BENCH_SCALE_N must be a whole number ≥ 2, not ${n}`);
  return n;
}

/** Memory charged to a container's cgroup (v1 or v2, cgroupfs or systemd), in MiB; undefined when not found. */
async function cgroupMiB(id: string): Promise<number | undefined> {
  for (const dir of [
    `/sys/fs/cgroup/memory/libpod_parent/libpod-${id}/memory.usage_in_bytes`,
    `/sys/fs/cgroup/memory/machine.slice/libpod-${id}.scope/memory.usage_in_bytes`,
    `/sys/fs/cgroup/libpod_parent/libpod-${id}/memory.current`,
    `/sys/fs/cgroup/machine.slice/libpod-${id}.scope/memory.current`,
  ]) {
    const text = await readFile(dir, 'utf8').catch(() => undefined);
    if (text) return Number(text.trim()) / 2 ** 20;
  }
  return undefined;
}

/** Workload memory (cgroup) of every container of the instance, and conmon's RSS for up to 20 of them. */
async function containerMemory(instance: string): Promise<{ workload: number[]; conmon: number[] }> {
  const ids = (
    await execa('podman', ['ps', '-q', '--no-trunc', '--filter', `label=hiy.instance=${instance}`])
  ).stdout
    .split('\n')
    .filter(Boolean);
  const workload = (await Promise.all(ids.map(cgroupMiB))).filter((m): m is number => m !== undefined);
  const conmon: number[] = [];
  for (const id of ids.slice(0, 20)) {
    const pid = Number((await execa('podman', ['inspect', '--format', '{{.State.ConmonPid}}', id])).stdout);
    if (pid > 0) conmon.push(await rssMiB(pid).catch(() => Number.NaN));
  }
  return { workload, conmon: conmon.filter(Number.isFinite) };
}

const row = (
  name: string,
  samples: number[],
  o: { target?: string; pass?: boolean; note: string; unit?: Result['unit'] },
): Result => ({
  name,
  group: 'scale-1000',
  samplesMs: samples,
  stats: stats(samples),
  target: o.target ?? '',
  verdict: o.pass === undefined ? 'info' : o.pass ? 'pass' : 'FAIL',
  note: o.note,
  ...(o.unit && { unit: o.unit }),
});

export async function benchScale(ctx: BenchContext): Promise<Result[]> {
  const n = scaleCount();
  const samples = ctx.quick ? 3 : 5;
  const idleMs = ctx.quick ? 30_000 : 60_000;
  ctx.log(`scale-1000: ${n} Ports (HIY_BENCH_SCALE_N); building dist/ for the daemon...`);
  await execa('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++)
    files[`ports/s${i}.yaml`] = webPort(`s${i}`, `s${i}.scale.test`, { volume: i % 3 === 0 });
  let h: Harness | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  return withCleanup(
    `scale-1000 harness (${n} Ports) and daemon`,
    async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(30_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      // A loaded Podman refuses a removal now and then (a container still starting, `podman rm` exit 125):
      // the clean-up is tried again, so the instance's volumes and networks never stay behind.
      const removal = await timed(async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await h?.cleanup();
          } catch (err) {
            if (attempt >= 4) throw err;
            ctx.log(
              `scale-1000: clean-up attempt ${attempt} failed (${(err as Error).message.split('\n')[0]}); again`,
            );
            await sleep(5000 * attempt);
          }
        }
      });
      ctx.log(`scale-1000: removed everything in ${fmtMs(removal.ms)}`);
    },
    async () => {
      h = await startHarness(files);
      ctx.log(`scale-1000: hiy apply of ${n} Ports from empty...`);
      const converge = await timed(() => h!.hiy(['apply']));
      if (converge.value.code !== 0)
        throw new Error(`scale-1000: apply failed: ${converge.value.err.slice(-2000)}`);
      ctx.log(`scale-1000: converged in ${fmtMs(converge.ms)}`);
      const mem = await containerMemory(h.instance);

      let log = '';
      const flags = (process.env.HIY_BENCH_NODE_FLAGS ?? DAEMON_NODE_FLAGS).split(/\s+/).filter(Boolean);
      child = spawn(process.execPath, [...flags, join(ROOT, 'bin/hiy.js'), 'daemon'], {
        cwd: ROOT,
        env: { ...process.env, ...h.env, HIY_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const keep = (d: unknown) => {
        log = (log + String(d)).slice(-5000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      exited = new Promise((r) => child!.once('exit', r));
      const pid = child.pid!;
      await waitFor(() => existsSync(join(h!.dataDir, 'daemon.json')), {
        timeoutMs: 120_000,
        what: `the daemon to start: ${log}`,
      });
      const api = JSON.parse(await readFile(join(h.dataDir, 'daemon.json'), 'utf8')).endpoints.api as string;
      await waitFor(async () => (await daemonMetrics(api)).runs > 0, {
        timeoutMs: 600_000,
        intervalMs: 500,
        what: `the daemon's start-up run: ${log}`,
      });

      // The event-fed no-op: a commit changing no resource; duration and external calls from /metrics.
      const { noopMs, noopCalls } = await eventFedNoops(
        api,
        (i) => h!.commit({ 'README.md': `no-op ${i}\n` }),
        {
          samples,
          timeoutMs: 120_000,
          log: () => log,
        },
      );
      ctx.log(
        `scale-1000: no-op runs ${noopMs.map((ms) => fmtMs(ms)).join(', ')}; calls ${noopCalls.join(', ')}`,
      );

      // Commit → serving of one changed resource among n: a new route host on s1 (no volume: start-first).
      const serving: number[] = [];
      for (let i = 0; i < samples; i++) {
        const host = `s1-r${i}.scale.test`;
        const yaml = webPort('s1', 's1.scale.test').replace(
          '  routes:\n',
          `  routes:\n    - host: ${host}\n      port: 8080\n`,
        );
        const start = performance.now();
        await h.commit({ 'ports/s1.yaml': yaml });
        await waitFor(
          async () => {
            const r = await h!.get(host).catch(() => ({ status: 0, body: '' }));
            return r.status === 200 && r.body.trim() === 's1:hello';
          },
          { timeoutMs: 300_000, intervalMs: 20, what: `${host} to serve: ${log}` },
        );
        serving.push(performance.now() - start);
        ctx.log(`scale-1000: commit → serving ${fmtMs(serving.at(-1)!)}`);
        await sleep(2000);
      }

      // `hiy status` as a person runs it: a whole process, while the daemon idles.
      const status: number[] = [];
      for (let i = 0; i < samples; i++) {
        const r = await timed(() =>
          execa(process.execPath, [join(ROOT, 'bin/hiy.js'), 'status'], {
            env: { ...process.env, ...h!.env },
          }),
        );
        status.push(r.ms);
      }

      ctx.log(`scale-1000: idle for ${idleMs / 1000} s, measuring the daemon's RSS and CPU...`);
      await sleep(5000);
      const clk = Number((await execa('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
      const t0 = performance.now();
      const c0 = await cpuTicks(pid);
      const rss: number[] = [];
      while (performance.now() - t0 < idleMs) {
        rss.push(await rssMiB(pid));
        await sleep(5000);
      }
      const c1 = await cpuTicks(pid);
      const seconds = (performance.now() - t0) / 1000;
      const cpuPct = ((c1.own - c0.own) / clk / seconds) * 100;
      const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
      const noop = stats(noopMs);
      const at = `at N=${n}, load average ${load}`;
      return [
        row(`scale-${n} converge from empty (hiy apply)`, [converge.ms], {
          note: `${n} Ports, ${Math.ceil(n / 3)} volumes, a route and an HTTP health check each; ${at}`,
        }),
        row('↳ workload memory per container (cgroup)', mem.workload, {
          unit: 'MiB',
          note: `memory charged to each container's cgroup, ${mem.workload.length} containers`,
        }),
        row('↳ conmon RSS per container', mem.conmon, {
          unit: 'MiB',
          note: `VmRSS of conmon, ${mem.conmon.length} containers`,
        }),
        row(`scale-${n} no-op reconcile (event-fed)`, noopMs, {
          target: `0 external calls, median ≤ ${NOOP_TARGET_MS} ms (at 1,000)`,
          pass: Math.max(...noopCalls) === 0 && noop.median <= NOOP_TARGET_MS,
          note: `external calls per run ${noopCalls.join(', ')}`,
        }),
        row(`scale-${n} commit → serving (one route)`, serving, {
          target: `median ≤ ${SERVING_TARGET_MS / 1000} s`,
          pass: stats(serving).median <= SERVING_TARGET_MS,
          note: `a new route host on 1 of ${n} Ports, through the daemon`,
        }),
        row(`scale-${n} hiy status`, status, { note: 'a whole `node bin/hiy.js status` process' }),
        row(`scale-${n} daemon idle RSS`, rss, {
          unit: 'MiB',
          target: `≤ ${RSS_TARGET_MIB} MiB`,
          pass: stats(rss).max <= RSS_TARGET_MIB,
          note: `VmRSS of the daemon (node ${flags.join(' ')}), ${rss.length} samples over ${seconds.toFixed(0)} s`,
        }),
        row(`scale-${n} daemon idle CPU`, [cpuPct], {
          unit: '%',
          note: `utime+stime over ${seconds.toFixed(0)} s (a resync a minute)`,
        }),
      ];
    },
  );
}
