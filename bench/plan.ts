// plan-1000: the pure planner over 1,000 Port resources, from empty and from the box after applying.
import { fingerprintObserved } from '../src/observed/observe.js';
import type { ObservedState } from '../src/observed/types.js';
import { plan } from '../src/plan/plan.js';
import { desired, emptyObserved, observedAfter, port, SETTINGS } from '../test/support/fixtures.js';
import { type BenchContext, type Result, stats, timed } from './lib.js';

const TARGET_MS = 50;
const COUNT = 1000;

/** 1,000 Ports: every one has env; 80% a route (some with a second path), a third a volume, a fifth a published port. */
function workloads() {
  return Array.from({ length: COUNT }, (_, i) => {
    const spec: Record<string, unknown> = {
      image: `localhost/bench/svc${i % 20}:1`,
      command: ['/bin/sh', '-c', `exec httpd -f -p 8080 -h /www/${i}`],
      env: {
        GREETING: 'hello',
        INDEX: String(i),
        MODE: i % 2 ? 'prod' : 'dev',
        DATABASE_URL: `postgres://db/${i}`,
      },
      stopGracePeriod: '2s',
    };
    if (i % 5 !== 4) {
      spec['routes'] =
        i % 7 === 0
          ? [
              { host: `s${i}.example.com`, port: 8080 },
              { host: `api.example.com`, path: `/s${i}`, port: 8080 },
            ]
          : [{ host: `s${i}.example.com`, port: 8080 }];
      spec['healthcheck'] = { http: { path: '/', port: 8080 }, interval: '1s', timeout: '20s' };
    }
    if (i % 3 === 0) spec['volumes'] = [{ name: 'data', mountPath: '/data' }];
    if (i % 5 === 0) spec['ports'] = [{ containerPort: 5432, hostPort: 30000 + i, hostIP: '127.0.0.1' }];
    return port(`svc${i}`, spec);
  });
}

function measure(
  name: string,
  runs: number,
  warmup: number,
  input: { observed: ObservedState; fingerprint: string },
  d: ReturnType<typeof desired>,
): { samples: number[]; actions: number } {
  const samples: number[] = [];
  let actions = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const p = plan({
      desired: d,
      observed: input.observed,
      observedFingerprint: input.fingerprint,
      settings: SETTINGS,
    });
    const ms = performance.now() - t0;
    actions = p.actions.length;
    if (i >= warmup) samples.push(ms);
  }
  if (samples.length === 0) throw new Error(`${name}: no samples`);
  return { samples, actions };
}

export async function benchPlan(ctx: BenchContext): Promise<Result[]> {
  const runs = ctx.quick ? 30 : 60;
  const warmup = ctx.quick ? 5 : 10;
  const d = desired(workloads());
  const empty = emptyObserved();
  const first = plan({
    desired: d,
    observed: empty,
    observedFingerprint: fingerprintObserved(empty),
    settings: SETTINGS,
  });
  const after = observedAfter(first);
  const afterFp = fingerprintObserved(after);
  const kinds = (a: readonly { kind: string }[]) =>
    Object.fromEntries(
      [...new Set(a.map((x) => x.kind))].map((k) => [k, a.filter((x) => x.kind === k).length]),
    );

  ctx.log(`plan-1000: ${runs} runs after ${warmup} warm-up, steady state and from empty`);
  const steady = measure('steady', runs, warmup, { observed: after, fingerprint: afterFp }, d);
  if (steady.actions !== 0)
    throw new Error(`plan-1000: re-planning the applied box gave ${steady.actions} actions`);
  const fromEmpty = measure(
    'empty',
    runs,
    warmup,
    { observed: empty, fingerprint: fingerprintObserved(empty) },
    d,
  );
  const fp = await timed(() => {
    const out: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      fingerprintObserved(after);
      if (i >= warmup) out.push(performance.now() - t0);
    }
    return out;
  });

  const row = (
    name: string,
    samples: number[],
    note: string,
    extra: Record<string, unknown>,
    target = true,
  ): Result => {
    const s = stats(samples);
    return {
      name,
      group: 'plan-1000',
      samplesMs: samples,
      stats: s,
      target: target ? `median ≤ ${TARGET_MS} ms` : '',
      verdict: target ? (s.median <= TARGET_MS ? 'pass' : 'FAIL') : 'info',
      note,
      extra,
    };
  };
  return [
    row(
      'plan-1000 (applied box, no-op)',
      steady.samples,
      '1,000 Ports vs the box after applying them: 0 actions',
      {
        actions: 0,
        containers: after.containers.length,
        volumes: after.volumes.length,
        routes: first.proxy.routes.length,
      },
    ),
    row(
      'plan-1000 (from empty)',
      fromEmpty.samples,
      `${fromEmpty.actions} actions: ${JSON.stringify(kinds(first.actions))}`,
      {
        actions: fromEmpty.actions,
        kinds: kinds(first.actions),
      },
    ),
    row(
      '  fingerprint of 1000-container observation',
      fp.value,
      'computePlan does this too; not part of plan()',
      {},
      false,
    ),
  ];
}
