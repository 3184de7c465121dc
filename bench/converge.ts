// converge-20: 20 new Ports from nothing with `hiy apply` vs `podman-compose up -d` (and a bare `podman run` loop).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { PodmanCli } from '../src/drivers/podman/runner.js';
import { ownershipLabels } from '../src/model/labels.js';
import { type Harness, startHarness, webPort } from '../test/support/hiy.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../test/support/podman.js';
import { type BenchContext, fmtMs, type Result, stats, timed, withCleanup } from './lib.js';
import { PodmanTimeline } from './podmanTimeline.js';

/** Where one `hiy apply` spent its time: podman calls by method, and the time no podman call ran. */
export interface ConvergeProfile {
  totalMs: number;
  /** Time at least one podman call ran. */
  podmanBusyMs: number;
  methods: Record<string, { calls: number; ms: number }>;
}

const COUNT = 20;
/** podman-compose 1.0.3 sleeps 1 s after every `podman run` it makes (PodmanCompose.run's `sleep=1` default). */
const COMPOSE_SLEEP_PER_SERVICE_MS = 1000;

/** The command webPort() gives its container (see test/support/hiy.ts), for the compose and podman-run sides. */
function script(name: string): string {
  return `mkdir -p /www && echo "${name}:$GREETING" > /www/index.html && exec httpd -f -p 8080 -h /www`;
}

function composeFile(ports: number[]): string {
  const services = ports.map((p, i) => {
    // `$$` is compose's escape for a literal `$` (the variable is the container's, not the host's).
    const entrypoint = JSON.stringify(['/bin/sh', '-c', script(`web${i}`).replaceAll('$', '$$')]);
    return `  web${i}:
    image: ${BUSYBOX_IMAGE}
    entrypoint: ${entrypoint}
    environment:
      GREETING: hello
    ports:
      - "127.0.0.1:${p}:8080"
    restart: unless-stopped
`;
  });
  return `version: "3"\nservices:\n${services.join('')}`;
}

async function podmanLines(argv: string[]): Promise<string[]> {
  const { stdout } = await execa('podman', argv);
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

async function removeByLabel(label: string): Promise<void> {
  const ids = await podmanLines(['ps', '-a', '-q', '--filter', `label=${label}`]);
  if (ids.length > 0) await execa('podman', ['rm', '-f', '-t', '0', '--ignore', ...ids]);
}

async function runningCount(label: string): Promise<number> {
  return (await podmanLines(['ps', '-q', '--filter', `label=${label}`, '--filter', 'status=running'])).length;
}

function rand(): string {
  return [...randomBytes(5)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
}

/** One `hiy apply` of 20 new Ports in a fresh harness (fresh Caddy, repo and instance). Returns ms and host ports. */
async function hiyRun(ctx: BenchContext): Promise<{
  ms: number;
  ports: number[];
  calls: { podman: number; caddy: number };
  profile: ConvergeProfile;
}> {
  const files: Record<string, string> = {};
  for (let i = 0; i < COUNT; i++) files[`ports/web${i}.yaml`] = webPort(`web${i}`, `web${i}.bench.test`);
  let h: Harness | undefined;
  return withCleanup(
    'converge-20 hiy harness',
    async () => {
      await h?.cleanup();
    },
    async () => {
      h = await startHarness(files);
      const timeline = new PodmanTimeline();
      const r = await timed(() => h!.hiy(['apply'], {}, timeline.wrap));
      if (r.value.code !== 0)
        throw new Error(`converge-20: hiy apply failed (${r.value.code}): ${r.value.err}${r.value.out}`);
      const containers = await new PodmanCli().listContainers(ownershipLabels(h.instance));
      const running = containers.filter((c) => c.state === 'running');
      if (running.length !== COUNT)
        throw new Error(`converge-20: ${running.length} of ${COUNT} HIY containers running`);
      const ports = running
        .sort((a, b) => Number(a.name.replace(/\D/g, '')) - Number(b.name.replace(/\D/g, '')))
        .map((c) => c.ports.find((p) => p.containerPort === 8080)?.hostPort ?? 0);
      const { busyMs, methods } = timeline.summary();
      const byMethod = Object.entries(methods)
        .sort(([, a], [, b]) => b.ms - a.ms)
        .map(([m, v]) => `${m} ×${v.calls} ${fmtMs(v.ms)}`)
        .join(', ');
      ctx.log(
        `  hiy apply: ${fmtMs(r.ms)} (${r.value.calls.podman} podman calls, ${r.value.calls.caddy} caddy calls); ` +
          `podman busy ${fmtMs(busyMs)}, no podman call running ${fmtMs(r.ms - busyMs)} (planning, health waits, Caddy); ` +
          `summed per call: ${byMethod}`,
      );
      return {
        ms: r.ms,
        ports,
        calls: r.value.calls,
        profile: { totalMs: r.ms, podmanBusyMs: busyMs, methods },
      };
    },
  );
}

/** One `podman-compose up -d` of the equivalent 20 services under their own project name. */
async function composeRun(ctx: BenchContext, ports: number[]): Promise<number> {
  const project = `hiybench${rand()}`;
  const dir = await mkdtemp(join(tmpdir(), 'hiy-bench-compose-'));
  const file = join(dir, 'compose.yaml');
  const label = `io.podman.compose.project=${project}`;
  const compose = (args: string[]) =>
    execa('podman-compose', ['-p', project, '-f', file, ...args], { all: true, reject: false });
  return withCleanup(
    `compose project ${project}`,
    async () => {
      // Containers first with -t 0 (busybox httpd as PID 1 ignores SIGTERM; `down` would wait 1 s for each).
      await removeByLabel(label);
      await compose(['down', '-v']);
      await execa('podman', ['network', 'rm', '-f', `${project}_default`], { reject: false });
      await rm(dir, { recursive: true, force: true });
    },
    async () => {
      await writeFile(file, composeFile(ports));
      const r = await timed(() => compose(['up', '-d']));
      if (r.value.exitCode !== 0)
        throw new Error(`converge-20: podman-compose up failed: ${String(r.value.all).slice(-2000)}`);
      const running = await runningCount(label);
      if (running !== COUNT) {
        throw new Error(
          `converge-20: ${running} of ${COUNT} compose containers running: ${String(r.value.all).slice(-2000)}`,
        );
      }
      ctx.log(`  podman-compose up -d: ${fmtMs(r.ms)}`);
      return r.ms;
    },
  );
}

/** The same 20 containers with 20 sequential `podman run -d`: what compose does, without its sleeps or network. */
async function podmanRunLoop(ctx: BenchContext, ports: number[]): Promise<number> {
  const tag = `hiybench.run=${rand()}`;
  return withCleanup(
    'podman run loop',
    () => removeByLabel(tag),
    async () => {
      const r = await timed(async () => {
        for (const [i, p] of ports.entries()) {
          await execa('podman', [
            'run',
            '-d',
            '--name',
            `${tag.split('=')[1]}_web${i}`,
            '--label',
            tag,
            '-e',
            'GREETING=hello',
            '-p',
            `127.0.0.1:${p}:8080`,
            '--restart',
            'unless-stopped',
            '--entrypoint',
            '/bin/sh',
            BUSYBOX_IMAGE,
            '-c',
            script(`web${i}`),
          ]);
        }
      });
      const running = await runningCount(tag);
      if (running !== COUNT)
        throw new Error(`converge-20: ${running} of ${COUNT} podman-run containers running`);
      ctx.log(`  podman run ×${COUNT}: ${fmtMs(r.ms)}`);
      return r.ms;
    },
  );
}

export async function benchConverge(ctx: BenchContext): Promise<Result[]> {
  await ensureBusyboxImage();
  const rounds = ctx.quick ? 1 : 3;
  ctx.log(
    `converge-20: ${rounds} round(s) of hiy apply / podman-compose up -d / podman run loop, cleaned up between`,
  );
  const hiyMs: number[] = [];
  const composeMs: number[] = [];
  const loopMs: number[] = [];
  let ports: number[] = [];
  let calls = { podman: 0, caddy: 0 };
  const profiles: ConvergeProfile[] = [];
  for (let r = 0; r < rounds; r++) {
    const h = await hiyRun(ctx);
    hiyMs.push(h.ms);
    calls = h.calls;
    profiles.push(h.profile);
    // The baselines publish the same 127.0.0.1 host ports HIY picked in the first round.
    if (r === 0) ports = h.ports;
    composeMs.push(await composeRun(ctx, ports));
    loopMs.push(await podmanRunLoop(ctx, ports));
  }
  const hs = stats(hiyMs);
  const cs = stats(composeMs);
  const ls = stats(loopMs);
  const ratio = hs.median / cs.median;
  const loopRatio = hs.median / ls.median;
  // The measure: HIY (health waits included) against 20 plain serial `podman run -d`.
  process.stdout.write(`converge-20: hiy/loop ${loopRatio.toFixed(2)}\n`);
  const sleeps = COUNT * COMPOSE_SLEEP_PER_SERVICE_MS;
  const group = 'converge-20';
  return [
    {
      name: 'converge-20 (hiy apply)',
      group,
      samplesMs: hiyMs,
      stats: hs,
      target: 'hiy/compose < 1',
      verdict: ratio < 1 ? 'pass' : 'FAIL',
      note: `ratio hiy/compose ${ratio.toFixed(2)}, hiy/loop ${loopRatio.toFixed(2)}; includes waiting for ${COUNT} health checks and one Caddy load (${calls.podman} podman + ${calls.caddy} caddy calls)`,
      extra: { ratioToCompose: ratio, ratioToPodmanRunLoop: loopRatio, calls, ports, profiles },
    },
    {
      name: '  podman-compose up -d',
      group,
      samplesMs: composeMs,
      stats: cs,
      target: '',
      verdict: 'info',
      note: `podman-compose 1.0.3: serial runs, +1 s sleep after each (≈${fmtMs(sleeps)} of the time); no health wait, no proxy`,
      extra: { sleepsMs: sleeps, medianWithoutSleepsMs: cs.median - sleeps },
    },
    {
      name: `  podman run -d ×${COUNT} (serial loop)`,
      group,
      samplesMs: loopMs,
      stats: ls,
      target: '',
      verdict: 'info',
      note: `same containers, no sleeps; hiy/loop ${loopRatio.toFixed(2)}`,
    },
  ];
}
