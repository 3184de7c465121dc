// The stored snapshots: listed, pruned and removed, and the leftovers of a crash discarded.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  SNAPSHOT_MANIFEST_FILE as MANIFEST,
  SNAPSHOT_ID,
  type SnapshotDeps,
  type SnapshotManifest,
  snapshotDir,
  snapshotsRoot,
  VOLUME_NAME,
} from './manifest.js';

async function readManifest(path: string): Promise<SnapshotManifest | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as SnapshotManifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function dirNames(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every snapshot directory (volume, id, path) under the store, complete or not. */
async function snapshotDirs(deps: SnapshotDeps, volume?: string) {
  const volumes = volume !== undefined ? [volume] : await dirNames(snapshotsRoot(deps));
  const out: { volume: string; id: string; path: string }[] = [];
  for (const v of volumes.filter((name) => VOLUME_NAME.test(name))) {
    for (const id of await dirNames(join(snapshotsRoot(deps), v))) {
      if (SNAPSHOT_ID.test(id)) out.push({ volume: v, id, path: snapshotDir(deps, v, id) });
    }
  }
  return out;
}

/** Complete snapshots (those with a manifest), of one volume or all, newest first. */
export async function listSnapshots(deps: SnapshotDeps, volume?: string): Promise<SnapshotManifest[]> {
  const manifests: SnapshotManifest[] = [];
  for (const d of await snapshotDirs(deps, volume)) {
    const m = await readManifest(join(d.path, MANIFEST));
    if (m) manifests.push(m);
  }
  return manifests.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : a.volume < b.volume ? 1 : -1));
}

/**
 * Removes snapshot directories without a manifest: leftovers of a crash during takeSnapshot. Call it only while
 * holding the apply lock, or it would remove a snapshot being taken. Returns the directories removed.
 */
export async function discardIncomplete(deps: SnapshotDeps): Promise<string[]> {
  const removed: string[] = [];
  for (const d of await snapshotDirs(deps)) {
    if (await readManifest(join(d.path, MANIFEST))) continue;
    await rm(d.path, { recursive: true, force: true });
    removed.push(d.path);
  }
  return removed;
}

/** Keeps the newest `keep` snapshots of a volume and removes the others; returns the removed ones. */
export async function pruneSnapshots(
  deps: SnapshotDeps,
  volume: string,
  keep = 5,
): Promise<SnapshotManifest[]> {
  const old = (await listSnapshots(deps, volume)).slice(Math.max(0, keep));
  for (const m of old) await removeSnapshot(deps, m);
  return old;
}

/** Removes one snapshot. Call it while holding the apply lock. */
export async function removeSnapshot(deps: SnapshotDeps, m: SnapshotManifest): Promise<void> {
  const dir = snapshotDir(deps, m.volume, m.id);
  // The manifest goes first, so a crash mid-removal leaves an incomplete dir, never a broken snapshot.
  await rm(join(dir, MANIFEST), { force: true });
  await rm(dir, { recursive: true, force: true });
}
