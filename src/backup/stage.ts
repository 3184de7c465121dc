// The staged tree of a volume: a verified snapshot extracted at a stable path, with a manifest of every file's
// checksum, which is what restic backs up (so each backup of a volume has the previous one as its parent).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ResticDriver } from '../drivers/restic/types.js';
import type { SnapshotManifest } from '../snapshots/snapshot.js';

/** The folder below a staged tree (and a restored one) that holds the volume's files. */
export const DATA_DIR = 'data';
/** The file beside it describing the backup: the snapshot's manifest and each file's sha256. */
export const MANIFEST_FILE = 'hiy-backup.json';

/** What `hiy-backup.json` records. */
export interface BackupManifest {
  snapshot: SnapshotManifest;
  /** Path (relative to the volume's root, `/`-separated) → sha256 hex of each regular file. */
  checksums: Record<string, string>;
}

/** `<dataDir>/backup/staging/<volume>`: the same path for every backup of a volume. */
export function stagingDir(dataDir: string, volume: string): string {
  return join(dataDir, 'backup', 'staging', volume);
}

/** sha256 of every regular file under `root` (symlinks not followed), by relative path. */
export async function checksumTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) out[relative(root, path)] = await sha256File(path);
    }
  };
  await walk(root);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Extracts a verified snapshot into the volume's staging path (emptied first) and writes its manifest; returns
 * the staging path. The file count is checked against the snapshot's manifest before restic sees the tree.
 */
export async function stageSnapshot(opts: {
  restic: ResticDriver;
  dataDir: string;
  snapshot: SnapshotManifest;
  archive: string;
}): Promise<string> {
  const dir = stagingDir(opts.dataDir, opts.snapshot.volume);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, DATA_DIR), { recursive: true, mode: 0o700 });
  await opts.restic.extractArchive(opts.archive, join(dir, DATA_DIR));
  const checksums = await checksumTree(join(dir, DATA_DIR));
  const files = Object.keys(checksums).length;
  if (files !== opts.snapshot.files) {
    throw new Error(
      `the staged copy has ${files} files, snapshot ${opts.snapshot.id} ${opts.snapshot.files}`,
    );
  }
  const manifest: BackupManifest = { snapshot: opts.snapshot, checksums };
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest)}\n`, { mode: 0o600 });
  return dir;
}
