// noop-reconcile-50: a no-op reconcile of 50 running Ports on real Podman and Caddy vs the three bare calls.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { settingsFrom } from '../src/cli/config.js';
import type { CaddyAdminClient } from '../src/drivers/caddy/client.js';
import { psArgv, volumeLsArgv } from '../src/drivers/podman/argv.js';
import type { PodmanCli } from '../src/drivers/podman/runner.js';
import { computePlan, type Engine, loadDesired } from '../src/engine/engine.js';
import { realEngine } from '../src/main.js';
import { LABEL_INSTANCE, ownershipLabels } from '../src/model/labels.js';
import { PORT_LABEL } from '../src/model/portContract.js';
import { observe } from '../src/observed/observe.js';
import { type Harness, startHarness, webPort } from '../test/support/hiy.js';
import { BUSYBOX_IMAGE } from '../test/support/podman.js';
import { type BenchContext, fmtMs, type Result, stats, timed, withCleanup } from './lib.js';

const COUNT = 50;
const MAX_RATIO = 1.5;

function freshEngine(h: Harness): Promise<Engine> {
  return realEngine(settingsFrom({}, h.env, true), h.env);
}

/** The three observation calls made directly, concurrently, as the engine makes them. */
async function directCalls(h: Harness): Promise<void> {
  const labels = ownershipLabels(h.instance);
  await Promise.all([
    execa('podman', psArgv(labels)),
    execa('podman', volumeLsArgv(labels)),
    fetch(`${h.caddy.adminUrl}/config/`, { headers: { Connection: 'close' } }).then(async (r) => {
      if (!r.ok) throw new Error(`GET /config/: HTTP ${r.status}`);
      return r.text();
    }),
  ]);
}

/** Builds a port image (busybox with an io.hiy.port.v1 declaration) owned by the harness's instance. */
async function buildDeclaredImage(h: Harness): Promise<string> {
  const tag = `localhost/hiy-bench/${h.instance}-web:1`;
  const declaration = {
    contract: 'v1',
    name: 'web',
    version: '1.0.0',
    dataVersion: 1,
    description: 'busybox httpd',
    env: { GREETING: { description: 'the greeting', default: 'hello' } },
  };
  // The Containerfile and an empty context in the harness's own directory, and no standard input at all:
  // `podman build -f -` read the inherited stdin, so the benchmark failed when run without one (issue 25).
  const context = join(h.root, 'declared-image');
  await mkdir(context, { recursive: true });
  await writeFile(join(context, 'Containerfile'), `FROM ${BUSYBOX_IMAGE}\n`);
  await execa(
    'podman',
    [
      'build',
      '-q',
      '-t',
      tag,
      '--label',
      `${LABEL_INSTANCE}=${h.instance}`,
      '--label',
      `${PORT_LABEL}=${JSON.stringify(declaration)}`,
      '-f',
      join(context, 'Containerfile'),
      context,
    ],
    { stdin: 'ignore' },
  );
  return tag;
}

/** noop-reconcile-50 with every Port's image carrying a port declaration: still three calls. */
export function benchNoopDeclared(ctx: BenchContext): Promise<Result[]> {
  return benchNoop(ctx, true);
}

export async function benchNoop(ctx: BenchContext, declared = false): Promise<Result[]> {
  const group = declared ? 'noop-reconcile-50-declared' : 'noop-reconcile-50';
  const runs = ctx.quick ? 15 : 25;
  const warmup = 2;
  const files: Record<string, string> = {};
  // Every other Port has a volume, so `volume ls` has something to list too.
  for (let i = 0; i < COUNT; i++) {
    files[`ports/web${i}.yaml`] = webPort(`web${i}`, `web${i}.bench.test`, { volume: i % 2 === 0 });
  }
  ctx.log(`noop-reconcile-50: setting up ${COUNT} Ports (hiy apply, not measured)...`);
  let h: Harness | undefined;
  return withCleanup(
    'noop-reconcile-50 harness',
    async () => {
      await h?.cleanup();
    },
    async () => {
      h = await startHarness(files);
      if (declared) {
        const image = await buildDeclaredImage(h);
        const swapped: Record<string, string> = {};
        for (const [f, text] of Object.entries(files)) swapped[f] = text.replace(BUSYBOX_IMAGE, image);
        await h.commit(swapped);
      }
      const setup = await timed(() => h!.hiy(['apply']));
      if (setup.value.code !== 0) {
        throw new Error(
          `noop-reconcile-50: setup apply failed (${setup.value.code}): ${setup.value.err}${setup.value.out}`,
        );
      }
      ctx.log(
        `noop-reconcile-50: setup apply took ${fmtMs(setup.ms)}; measuring ${runs} runs after ${warmup} warm-up`,
      );

      const engineMs: number[] = [];
      const directMs: number[] = [];
      const callCounts: { podman: number; caddy: number }[] = [];
      let planned = { actions: -1, containers: 0, volumes: 0, routes: 0 };
      for (let i = 0; i < warmup + runs; i++) {
        // Alternate which side goes first so neither always runs on a warmer box.
        const order = i % 2 === 0 ? ['engine', 'direct'] : ['direct', 'engine'];
        for (const side of order) {
          if (side === 'direct') {
            const r = await timed(() => directCalls(h!));
            if (i >= warmup) directMs.push(r.ms);
          } else {
            // A fresh engine each time, as a `hiy plan` process would have (no warm git caches).
            const engine = await freshEngine(h!);
            const r = await timed(() => computePlan(engine));
            const calls = {
              podman: (engine.podman as PodmanCli).calls,
              caddy: (engine.caddy as CaddyAdminClient).calls,
            };
            if (r.value.plan.actions.length !== 0) {
              throw new Error(
                `noop-reconcile-50: the plan is not empty: ${r.value.plan.actions.map((a) => a.address).join(', ')}`,
              );
            }
            planned = {
              actions: r.value.plan.actions.length,
              containers: r.value.observed.containers.length,
              volumes: r.value.observed.volumes.length,
              routes: r.value.plan.proxy.routes.length,
            };
            if (i >= warmup) {
              engineMs.push(r.ms);
              callCounts.push(calls);
            }
          }
        }
      }

      // Where the engine's time goes: the state repo read and the observation, each on its own.
      const desiredMs: number[] = [];
      const observeMs: number[] = [];
      for (let i = 0; i < 7; i++) {
        const engine = await freshEngine(h!);
        desiredMs.push((await timed(() => loadDesired(engine))).ms);
        observeMs.push(
          (
            await timed(() =>
              observe({ podman: engine.podman, caddy: engine.caddy, instance: engine.settings.instance }),
            )
          ).ms,
        );
      }

      const totals = callCounts.map((c) => c.podman + c.caddy);
      const allThree =
        totals.every((t) => t === 3) && callCounts.every((c) => c.podman === 2 && c.caddy === 1);
      const e = stats(engineMs);
      const d = stats(directMs);
      const ratio = e.median / d.median;
      const breakdown = {
        loadDesiredMedianMs: stats(desiredMs).median,
        observeMedianMs: stats(observeMs).median,
      };
      return [
        {
          name: `${group} (computePlan)`,
          group,
          samplesMs: engineMs,
          stats: e,
          target: `3 calls, ratio ≤ ${MAX_RATIO}`,
          verdict: allThree && ratio <= MAX_RATIO ? 'pass' : 'FAIL',
          note: `calls/run: ${[...new Set(totals)].join('/')} (podman ${callCounts[0]?.podman}, caddy ${callCounts[0]?.caddy}); ratio ${ratio.toFixed(2)}; repo read ${fmtMs(breakdown.loadDesiredMedianMs)}, observe ${fmtMs(breakdown.observeMedianMs)}`,
          extra: {
            ...planned,
            callsPerRun: callCounts,
            exactlyThreeCalls: allThree,
            ratioOfMedians: ratio,
            breakdown,
            setupApplyMs: setup.ms,
          },
        },
        {
          name: '  the 3 calls direct (execa + fetch)',
          group,
          samplesMs: directMs,
          stats: d,
          target: '',
          verdict: 'info',
          note: 'podman ps -a + podman volume ls (label filters, json) + GET /config/, concurrently',
        },
      ];
    },
  );
}
