// A volume's files on the host as Podman's containers see them: walked directly, or through `podman unshare`.
import { lstat, readdir, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

/** What a volume's host directory holds: regular files (hard links count) and their bytes, top-level entries. */
export interface VolumeFileCount {
  files: number;
  bytes: number;
  /** Entries directly in the directory (files, directories, links): 0 means the volume is empty. */
  entries: number;
}

/**
 * A volume's host directory must be absolute and not `/`: it is walked and emptied, so a mountpoint that Podman
 * did not report (an empty string) must never become the current directory or the root.
 */
export function checkMountpoint(mountpoint: string): string {
  if (!isAbsolute(mountpoint) || mountpoint === '/' || mountpoint.includes('\0')) {
    throw new Error(`not a usable volume mountpoint: ${JSON.stringify(mountpoint)}`);
  }
  return mountpoint;
}

/** Walks a directory in this process (not following symlinks). */
export async function countDirectly(mountpoint: string): Promise<VolumeFileCount> {
  const root = checkMountpoint(mountpoint);
  let files = 0;
  let bytes = 0;
  const walk = async (dir: string): Promise<number> => {
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (e) => {
        const path = join(dir, e.name);
        if (e.isDirectory()) return walk(path);
        if (!e.isFile()) return;
        files++;
        bytes += (await lstat(path)).size;
      }),
    );
    return entries.length;
  };
  const entries = await walk(root);
  return { files, bytes, entries };
}

/** Removes everything in a directory, in this process; the directory itself stays. */
export async function emptyDirectly(mountpoint: string): Promise<void> {
  const root = checkMountpoint(mountpoint);
  const present = await readdir(root);
  await Promise.all(present.map((name) => rm(join(root, name), { recursive: true, force: true })));
}

/**
 * Rootless, a volume written by a non-root container user holds files owned by sub-uids (postgres' 0700 data):
 * this process may not even list them. `podman unshare` runs a command as uid 0 of Podman's user namespace,
 * where they are the process's own. One find prints depth, type and size of each entry (no names, so no name
 * can break the parsing).
 */
export function unshareCountArgv(mountpoint: string): string[] {
  return ['unshare', 'find', checkMountpoint(mountpoint), '-mindepth', '1', '-printf', '%d %y %s\\n'];
}

/** `find -delete` empties the directory depth first, leaving the directory itself. */
export function unshareEmptyArgv(mountpoint: string): string[] {
  return ['unshare', 'find', checkMountpoint(mountpoint), '-mindepth', '1', '-delete'];
}

/** Parses the output of {@link unshareCountArgv}'s find. */
export function parseFindCount(stdout: string): VolumeFileCount {
  let files = 0;
  let bytes = 0;
  let entries = 0;
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [depth, type, size] = line.split(' ');
    const n = Number(size);
    if (!/^\d+$/.test(depth ?? '') || !type || !Number.isFinite(n)) {
      throw new Error(`unexpected find output line ${JSON.stringify(line)}`);
    }
    if (depth === '1') entries++;
    if (type === 'f') {
      files++;
      bytes += n;
    }
  }
  return { files, bytes, entries };
}
