// Checksums of a tree of files (HIY's own state, legacy backups), the staging path of the box state, scratch volumes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

export { LABEL_SCRATCH } from '../model/labels.js';

/** How a restored tree differs from its manifest; empty when it matches. */
export function compareChecksums(want: Record<string, string>, got: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, sum] of Object.entries(want)) {
    if (!(path in got)) problems.push(`${path} is missing`);
    else if (got[path] !== sum) problems.push(`${path} has another checksum`);
  }
  for (const path of Object.keys(got)) if (!(path in want)) problems.push(`${path} is not in the manifest`);
  return problems;
}

/** `<dataDir>/backup/staging/<name>`: the same path for every backup of it (restic's parent). */
export function stagingDir(dataDir: string, name: string): string {
  return join(dataDir, 'backup', 'staging', name);
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
