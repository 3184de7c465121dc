// backup-200m: HIY's `backup now` of a 200 MiB, 2,000-file volume (verified snapshot, restic of its archive) vs
// `restic backup` of the same volume directory run by hand; an incremental backup after 1 % changed; and
// `backup restore --to-volume` (restic restore, verified against the manifest, into a volume) vs `restic restore`.
// HIY runs in this process (realEngine, as the API server does): node's start-up is the `startup` benchmark's.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { backupNow } from '../src/backup/backupNow.js';
import { restoreFromBackup } from '../src/backup/restore.js';
import { settingsFrom } from '../src/cli/config.js';
import { realEngine } from '../src/main.js';
import { type Harness, startHarness, webPort } from '../test/support/hiy.js';
import { type BenchContext, fmtMs, type Result, stats, timed, withCleanup } from './lib.js';

const FILES = 2_000;
const TOTAL_BYTES = 200 * 2 ** 20;
const DIRS = 20;
const MAX_RATIO = 1.2;
const MAX_INCREMENTAL_MS = 5_000;
const PASSWORD = 'bench horse battery staple 5e1b';

/** Random, incompressible files through the volume's host mountpoint (HIY and the benchmarks run as root). */
async function fill(mountpoint: string): Promise<void> {
  const base = Math.floor(TOTAL_BYTES / FILES);
  for (let d = 0; d < DIRS; d++) await mkdir(join(mountpoint, `d${d}`), { recursive: true });
  for (let i = 0; i < FILES; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, FILES - i) }, (_, k) => {
        const n = i + k;
        return writeFile(join(mountpoint, `d${n % DIRS}`, `f${n}.bin`), randomBytes(base));
      }),
    );
  }
}

/** Rewrites 1 % of the files (20 of 2,000: 2 MiB), a different slice each round. */
async function changeOnePercent(mountpoint: string, round: number): Promise<void> {
  const base = Math.floor(TOTAL_BYTES / FILES);
  const count = FILES / 100;
  for (let k = 0; k < count; k++) {
    const n = (round * count + k * 97) % FILES;
    await writeFile(join(mountpoint, `d${n % DIRS}`, `f${n}.bin`), randomBytes(base));
  }
}

const restic = (repo: string, args: string[], cwd?: string) =>
  execa('restic', args, {
    env: { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD },
    ...(cwd !== undefined && { cwd }),
  });

const phaseText = (phases: [string, number][]) => phases.map(([m, ms]) => `${m} ${fmtMs(ms)}`).join(', ');

function ratioRow(
  name: string,
  hiy: number[],
  raw: number[],
  note: string,
  extra: Record<string, unknown> = {},
): Result[] {
  const h = stats(hiy);
  const r = stats(raw);
  const ratio = h.median / r.median;
  return [
    {
      name,
      group: 'backup-200m',
      samplesMs: hiy,
      stats: h,
      target: `ratio ≤ ${MAX_RATIO}`,
      verdict: ratio <= MAX_RATIO ? 'pass' : 'FAIL',
      note: `ratio **${ratio.toFixed(2)}** (by hand: median ${fmtMs(r.median)}); ${note}`,
      extra: { ratio, rawSamplesMs: raw, rawStats: r, ...extra },
    },
  ];
}

export async function benchBackup(ctx: BenchContext): Promise<Result[]> {
  const runs = ctx.quick ? 1 : 3;
  let h: Harness | undefined;
  let scratch: string | undefined;
  return withCleanup(
    'backup-200m instance, repositories and restores',
    async () => {
      await h?.cleanup();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
    async () => {
      scratch = await mkdtemp(join(tmpdir(), 'hiy-bench-backup-'));
      const repo = join(scratch, 'hiy-repo');
      const rawRepo = join(scratch, 'raw-repo');
      h = await startHarness({ 'db.yaml': webPort('db', 'db.test', { volume: true }) });
      await h.commit({
        'backup.yaml': `apiVersion: hiy/v1\nkind: Backup\nmetadata:\n  name: bench\nspec:\n  repository: ${repo}\n  passwordSecret: restic-password\n`,
      });
      await h.stores.secrets.set('restic-password', PASSWORD);
      const applied = await h.hiy(['apply']);
      if (applied.code !== 0) throw new Error(`backup-200m: apply failed: ${applied.err}`);
      const volume = `hiy-${h.instance}-db-data`;
      const mountpoint = (await execa('podman', ['volume', 'inspect', volume, '--format', '{{.Mountpoint}}']))
        .stdout;
      ctx.log(`backup-200m: filling ${volume} with ${FILES} files, 200 MiB (not measured)...`);
      await fill(mountpoint);
      const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
      /** Where the last run spent its time: from each step's message to the next (ms). */
      let phases: [string, number][] = [];
      const hiyBackup = async () => {
        const marks: [string, number][] = [];
        const t0 = performance.now();
        const onStep = (m: string) => marks.push([m.split(' ')[0]!, performance.now() - t0]);
        const run = await backupNow(engine, { resource: 'port/db', onStep });
        const end = performance.now() - t0;
        phases = marks.map(([m, t], i) => [m, (marks[i + 1]?.[1] ?? end) - t]);
        if (run.failures.length || run.volumes.length !== 1)
          throw new Error(`backup-200m: backup now failed: ${JSON.stringify(run.failures)}`);
        return run.volumes[0]!.summary;
      };
      // Each full backup goes to a new, initialized repository (restic init, a key derivation, is not measured).
      const fresh = async (dir: string) => {
        await rm(dir, { recursive: true, force: true });
        await restic(dir, ['init']);
      };

      const fullMs: number[] = [];
      const rawFullMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        for (const side of i % 2 === 0 ? ['hiy', 'raw'] : ['raw', 'hiy']) {
          if (side === 'hiy') {
            await fresh(repo);
            const r = await timed(hiyBackup);
            // restic copies the snapshot's archive (and its manifest), which holds the 2,000 files.
            if (r.value.totalBytes < TOTAL_BYTES)
              throw new Error(
                `backup-200m: ${r.value.totalBytes} bytes backed up, expected ≥ ${TOTAL_BYTES}`,
              );
            fullMs.push(r.ms);
          } else {
            await fresh(rawRepo);
            rawFullMs.push(
              (await timed(() => restic(rawRepo, ['backup', '--host', 'bench', '.'], mountpoint))).ms,
            );
          }
        }
        ctx.log(
          `backup-200m: full ${i + 1}/${runs}: hiy ${fmtMs(fullMs[i]!)}, by hand ${fmtMs(rawFullMs[i]!)}`,
        );
        ctx.log(`backup-200m:   hiy phases: ${phaseText(phases)}`);
      }

      const fullPhases = phaseText(phases);
      const incMs: number[] = [];
      const rawIncMs: number[] = [];
      let added = 0;
      for (let i = 0; i < runs; i++) {
        await changeOnePercent(mountpoint, i);
        const r = await timed(hiyBackup);
        incMs.push(r.ms);
        added = r.value.dataAdded;
        rawIncMs.push(
          (await timed(() => restic(rawRepo, ['backup', '--host', 'bench', '.'], mountpoint))).ms,
        );
        ctx.log(
          `backup-200m: incremental ${i + 1}/${runs}: hiy ${fmtMs(incMs[i]!)} (${(added / 2 ** 20).toFixed(1)} MiB added), by hand ${fmtMs(rawIncMs[i]!)}`,
        );
        ctx.log(`backup-200m:   hiy phases: ${phaseText(phases)}`);
      }

      const restoreMs: number[] = [];
      const rawRestoreMs: number[] = [];
      const inspect = `hiy-${h.instance}-inspect`;
      const rawTarget = join(scratch, 'raw-restore');
      for (let i = 0; i < runs; i++) {
        for (const side of i % 2 === 0 ? ['hiy', 'raw'] : ['raw', 'hiy']) {
          if (side === 'hiy') {
            const marks: [string, number][] = [];
            const t0 = performance.now();
            const onStep = (m: string) => marks.push([m.split(' ')[0]!, performance.now() - t0]);
            const r = await timed(() =>
              restoreFromBackup(engine, { resource: 'port/db', toVolume: inspect, onStep }),
            );
            const end = performance.now() - t0;
            ctx.log(
              `backup-200m:   hiy restore phases: ${phaseText(marks.map(([m, t], k) => [m, (marks[k + 1]?.[1] ?? end) - t]))}`,
            );
            if (r.value[0]?.files !== FILES)
              throw new Error(`backup-200m: restored ${r.value[0]?.files} files, expected ${FILES}`);
            restoreMs.push(r.ms);
            await execa('podman', ['volume', 'rm', inspect]);
          } else {
            rawRestoreMs.push(
              (await timed(() => restic(rawRepo, ['restore', 'latest', '--target', rawTarget]))).ms,
            );
            await rm(rawTarget, { recursive: true, force: true });
          }
        }
        ctx.log(
          `backup-200m: restore ${i + 1}/${runs}: hiy ${fmtMs(restoreMs[i]!)}, by hand ${fmtMs(rawRestoreMs[i]!)}`,
        );
      }

      const inc = stats(incMs);
      return [
        ...ratioRow(
          'backup-200m (backup now, full)',
          fullMs,
          rawFullMs,
          '2,000 files, 200 MiB, empty repository; verified snapshot (export, sha256, tar parse), restic backup of its directory',
          { phases: fullPhases },
        ),
        {
          name: '↳ incremental after 1 % changed',
          group: 'backup-200m',
          samplesMs: incMs,
          stats: inc,
          target: `median ≤ ${fmtMs(MAX_INCREMENTAL_MS)}`,
          verdict: inc.median <= MAX_INCREMENTAL_MS ? 'pass' : 'FAIL',
          note: `20 files rewritten, ${(added / 2 ** 20).toFixed(1)} MiB added; restic by hand on the same change: median ${fmtMs(stats(rawIncMs).median)}`,
          extra: { rawSamplesMs: rawIncMs, dataAdded: added },
        },
        ...ratioRow(
          '↳ backup restore --to-volume',
          restoreMs,
          rawRestoreMs,
          'restic restore of the archive, verified (sha256, parse, count), podman volume import into a new volume; by hand: restic restore to a directory',
        ),
      ];
    },
  );
}
