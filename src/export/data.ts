// `--with-data`: each exported volume's latest verified snapshot, copied next to the manifests and re-hashed.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DesiredWorkload } from '../model/workload.js';
import { type SnapshotManifest, snapshotArchivePath } from '../snapshots/snapshot.js';
import { claimName } from './names.js';
import type { DataArchive, ExportWarning } from './types.js';

export interface CopyDataInput {
  workloads: readonly DesiredWorkload[];
  /** Every recorded (so verified) snapshot of the box, newest first. */
  snapshots: readonly SnapshotManifest[];
  dataDir: string;
  /** The export directory: archives go to `OUT/data/CLAIM.tar`. */
  out: string;
}

/**
 * Copies the newest snapshot of each workload volume to `data/CLAIM.tar`, hashing while it copies: a copy whose
 * sha256 is not the one recorded when the snapshot was verified fails the export. A volume without a snapshot is
 * a warning (its claim starts empty) naming the command that takes one.
 */
export async function copyVolumeData(
  input: CopyDataInput,
): Promise<{ data: Map<string, DataArchive>; warnings: ExportWarning[] }> {
  const data = new Map<string, DataArchive>();
  const warnings: ExportWarning[] = [];
  for (const w of input.workloads) {
    for (const [i, v] of w.volumes.entries()) {
      const latest = input.snapshots.find((m) => m.volume === v.volumeName);
      const claim = claimName(w.name, v.name);
      if (!latest) {
        warnings.push({
          resource: w.id,
          field: `spec.volumes[${i}]`,
          message: `volume ${v.volumeName} has no snapshot: its claim ${claim} starts empty (take one with hiy snapshot create ${w.name})`,
        });
        continue;
      }
      const file = `data/${claim}.tar`;
      const target = join(input.out, file);
      await mkdir(dirname(target), { recursive: true });
      const hash = createHash('sha256');
      const source = createReadStream(snapshotArchivePath({ dataDir: input.dataDir }, latest));
      source.on('data', (chunk) => hash.update(chunk));
      await pipeline(source, createWriteStream(target, { mode: 0o600 }));
      const sha256 = hash.digest('hex');
      if (sha256 !== latest.sha256)
        throw new Error(
          `snapshot ${latest.volume}/${latest.id} does not match its recorded checksum; not exported`,
        );
      data.set(claim, {
        claim,
        file,
        sha256,
        bytes: latest.bytes,
        files: latest.files,
        snapshotId: latest.id,
      });
    }
  }
  return { data, warnings };
}
