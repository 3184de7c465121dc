// tls-first-apply: the first `hiy apply` of a fresh box (fresh Caddy and data directory) per HIY_TLS mode, until
// its route answers 200 (over HTTPS with TLS on, curl verifying the CA), against the same apply with TLS off.
import { join } from 'node:path';
import { type Harness, startHarness, webPort } from '../test/support/hiy.js';
import { type RunningPebble, startPebble } from '../test/support/pebble.js';
import { ensureBusyboxImage } from '../test/support/podman.js';
import { waitFor } from '../test/support/ports.js';
import { curlHttps, writePem } from '../test/support/tls.js';
import { type BenchContext, type Result, stats, timed, withCleanup } from './lib.js';

type Mode = 'off' | 'internal' | 'acme';
const HOST = 'first.tls.bench';

/** One fresh box in `mode`: wall time of `hiy apply` plus the wait until the route serves. */
async function firstApply(mode: Mode): Promise<number> {
  let h: Harness | undefined;
  let pebble: RunningPebble | undefined;
  return withCleanup(
    `tls-first-apply (${mode})`,
    async () => {
      await h?.cleanup();
      await pebble?.stop();
    },
    async () => {
      h = await startHarness({ 'web.yaml': webPort('web', HOST, { text: mode }) });
      const harness = h;
      harness.env['HIY_TLS'] = mode;
      if (mode === 'acme') {
        pebble = await startPebble({ httpPort: harness.caddy.httpPort });
        Object.assign(harness.env, {
          HIY_ACME_CA: pebble.directory,
          HIY_ACME_CA_ROOT: pebble.listenerCaFile,
        });
      }
      const port = Number(String(harness.env['HIY_HTTPS_ADDR']).split(':').pop());
      const { ms } = await timed(async () => {
        const r = await harness.hiy(['apply']);
        if (r.code !== 0) throw new Error(`hiy apply (${mode}) failed: ${r.out}${r.err}`);
        let ca: string | undefined;
        if (mode === 'internal') ca = (await harness.hiy(['ca'])).out;
        if (mode === 'acme') ca = await pebble!.issuingRoot();
        const caFile = ca ? await writePem(join(harness.root, 'root.pem'), ca) : undefined;
        await waitFor(
          async () => {
            const ok = caFile
              ? (await curlHttps(port, HOST, caFile)).status === 200
              : (await harness.get(HOST, '/')).status === 200;
            return ok ? true : undefined;
          },
          { what: `${HOST} served (${mode})`, timeoutMs: 120_000, intervalMs: 100 },
        );
      });
      return ms;
    },
  );
}

export async function benchTlsFirstApply(ctx: BenchContext): Promise<Result[]> {
  await ensureBusyboxImage();
  const rounds = ctx.quick ? 1 : 3;
  const samples: Record<Mode, number[]> = { off: [], internal: [], acme: [] };
  for (let i = 0; i < rounds; i++) {
    // Interleaved, so a busy moment of the box weighs on every mode alike.
    for (const mode of ['off', 'internal', 'acme'] as const) {
      const ms = await firstApply(mode);
      ctx.log(`tls-first-apply: ${mode} round ${i + 1}: ${Math.round(ms)} ms`);
      samples[mode].push(ms);
    }
  }
  const off = stats(samples.off);
  const internal = stats(samples.internal);
  const acme = stats(samples.acme);
  return [
    {
      name: 'tls-first-apply-off',
      group: 'tls-first-apply',
      samplesMs: samples.off,
      stats: off,
      target: '',
      verdict: 'info',
      note: 'fresh box, HIY_TLS=off: apply until HTTP 200 (the baseline)',
    },
    {
      name: 'tls-first-apply-internal',
      group: 'tls-first-apply',
      samplesMs: samples.internal,
      stats: internal,
      target: 'median ≤ 1.5 × off',
      verdict: internal.median <= 1.5 * off.median ? 'pass' : 'FAIL',
      note: `fresh Caddy data directory (new local CA), until HTTPS 200 verified by hiy ca's root; ${(internal.median / off.median).toFixed(2)} × off`,
    },
    {
      name: 'tls-first-apply-acme',
      group: 'tls-first-apply',
      samplesMs: samples.acme,
      stats: acme,
      target: 'median ≤ off + 3 s',
      verdict: acme.median <= off.median + 3000 ? 'pass' : 'FAIL',
      note: `Pebble validating HTTP-01 for real, until HTTPS 200 verified by Pebble's root; off + ${Math.round(acme.median - off.median)} ms`,
    },
  ];
}
