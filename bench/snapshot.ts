// snapshot-200m: a verified takeSnapshot of a 200 MiB, 2,000-file volume vs a plain `podman volume export`.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { volumeExportArgv } from '../src/drivers/podman/argv.js';
import { PodmanCli } from '../src/drivers/podman/runner.js';
import { LABEL_RESOURCE, ownershipLabels } from '../src/model/labels.js';
import { type SnapshotDeps, takeSnapshot } from '../src/snapshots/snapshot.js';
import { cleanupInstance, testInstance } from '../test/support/podman.js';
import { type BenchContext, fmtMs, type Result, stats, timed, withCleanup } from './lib.js';

const FILES = 2_000;
const TOTAL_BYTES = 200 * 2 ** 20;
const DIRS = 20;
const MAX_RATIO = 1.5;

/** Fills the volume through its host mountpoint (HIY and the benchmarks run as root): random, incompressible data. */
async function fill(mountpoint: string): Promise<void> {
  const base = Math.floor(TOTAL_BYTES / FILES);
  const extra = TOTAL_BYTES - base * FILES;
  for (let d = 0; d < DIRS; d++) await mkdir(join(mountpoint, `d${d}`), { recursive: true });
  for (let i = 0; i < FILES; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, FILES - i) }, (_, k) => {
        const n = i + k;
        return writeFile(
          join(mountpoint, `d${n % DIRS}`, `f${n}.bin`),
          randomBytes(base + (n < extra ? 1 : 0)),
        );
      }),
    );
  }
}

export async function benchSnapshot(ctx: BenchContext): Promise<Result[]> {
  const runs = 3;
  const instance = testInstance('b');
  const labels = { ...ownershipLabels(instance), [LABEL_RESOURCE]: 'port/bench' };
  const volume = `hiy-${instance}-data`;
  let dataDir: string | undefined;
  return withCleanup(
    'snapshot-200m volume and snapshots',
    async () => {
      await cleanupInstance(instance);
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
    async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'hiy-bench-snapshot-'));
      const podman = new PodmanCli();
      await podman.createVolume(volume, labels);
      const info = (await podman.listVolumes(labels)).find((v) => v.name === volume);
      if (!info) throw new Error(`snapshot-200m: volume ${volume} not listed after create`);
      ctx.log(`snapshot-200m: filling ${volume} with ${FILES} files, 200 MiB (not measured)...`);
      await fill(info.mountpoint);
      const deps: SnapshotDeps = { podman, dataDir };
      const snapshotMs: number[] = [];
      const exportMs: number[] = [];
      let files = 0;
      for (let i = 0; i < runs; i++) {
        // Alternate which side goes first so neither always runs with a warmer page cache.
        for (const side of i % 2 === 0 ? ['snapshot', 'export'] : ['export', 'snapshot']) {
          if (side === 'snapshot') {
            const r = await timed(() =>
              takeSnapshot(deps, {
                volume,
                mountpoint: info.mountpoint,
                resource: 'port/bench',
                reason: 'manual',
              }),
            );
            snapshotMs.push(r.ms);
            files = r.value.files;
            await rm(join(dataDir, 'snapshots', volume, r.value.id), { recursive: true, force: true });
          } else {
            const file = join(dataDir, 'plain.tar');
            const r = await timed(() => execa('podman', volumeExportArgv(volume, file)));
            exportMs.push(r.ms);
            await rm(file, { force: true });
          }
        }
        ctx.log(
          `snapshot-200m: run ${i + 1}/${runs}: snapshot ${fmtMs(snapshotMs[i]!)}, export ${fmtMs(exportMs[i]!)}`,
        );
      }
      if (files !== FILES)
        throw new Error(`snapshot-200m: the snapshot has ${files} files, expected ${FILES}`);
      const s = stats(snapshotMs);
      const e = stats(exportMs);
      const ratio = s.median / e.median;
      return [
        {
          name: 'snapshot-200m (takeSnapshot, verified)',
          group: 'snapshot-200m',
          samplesMs: snapshotMs,
          stats: s,
          target: `ratio ≤ ${MAX_RATIO}`,
          verdict: ratio <= MAX_RATIO ? 'pass' : 'FAIL',
          note: `ratio **${ratio.toFixed(2)}**; 2,000 files, 200 MiB; export followed by sha256 + tar parse, host walk, fsync, manifest`,
          extra: { ratio, files },
        },
        {
          name: '↳ podman volume export',
          group: 'snapshot-200m',
          samplesMs: exportMs,
          stats: e,
          target: '',
          verdict: 'info',
          note: 'the same volume, plain export to a file',
        },
      ];
    },
  );
}
