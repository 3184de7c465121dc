// What a backup, restore or drill killed mid-run leaves behind (working directories, scratch volumes, a backup
// brought back as a local snapshot), named by the process that made it; removed once that process is gone.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Engine, withApplyLock } from '../engine/engine.js';
import { listSnapshots, removeSnapshot } from '../snapshots/snapshot.js';
import { LABEL_SCRATCH } from './stage.js';

/** The process that made a scratch volume (its leftovers are removed only once that process is gone). */
export const LABEL_SCRATCH_PID = 'hiy.backup-scratch-pid';

/** In a working directory: the local snapshot it was adopted as (removed with the directory's leftovers). */
const ADOPTED_FILE = '.hiy-adopted.json';

/** `restore-<pid>-XXXXXX`, `repo-<pid>-XXXXXX`; `restore-XXXXXX` of HIY before the process was named. */
const WORK_DIR = /^(restore|repo)-(?:(\d+)-)?[A-Za-z0-9]{6}$/;

/** Unnamed working directories are older HIY's: left alone for an hour, longer than any of its runs took here. */
const UNNAMED_GRACE_MS = 3_600_000;

/** The labels of a scratch volume this process makes. */
export function scratchLabels(instance: string): Record<string, string> {
  return { [LABEL_SCRATCH]: instance, [LABEL_SCRATCH_PID]: String(process.pid) };
}

/** A new private working directory `<dataDir>/backup/<kind>-<pid>-XXXXXX`. */
export async function workDir(dataDir: string, kind: 'restore' | 'repo'): Promise<string> {
  await mkdir(join(dataDir, 'backup'), { recursive: true, mode: 0o700 });
  return mkdtemp(join(dataDir, 'backup', `${kind}-${process.pid}-`));
}

/** Records in `dir` the local snapshot made from it, so a crash before its release leaves nothing behind. */
export async function markAdopted(dir: string, volume: string, id: string): Promise<void> {
  await writeFile(join(dir, ADOPTED_FILE), `${JSON.stringify({ volume, id })}\n`);
}

/** Is the process alive? (Another user's process answers EPERM: alive.) A reused pid keeps leftovers longer. */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Leftovers {
  /** Working directories removed (paths). */
  dirs: string[];
  /** Local `from-backup` snapshots removed (`VOLUME/ID`). */
  snapshots: string[];
  /** Scratch volumes removed. */
  volumes: string[];
}

/**
 * Removes the leftovers of backup, restore and drill processes that are gone. Nothing of a live process is
 * touched, nor anything that holds data of a resource: working copies of backups, scratch volumes and the
 * transient local snapshot a restore brought back (its data is still in the repository). Run with the apply
 * lock held (a local snapshot is removed).
 */
export async function cleanLeftovers(engine: Engine): Promise<Leftovers> {
  const { dataDir, instance } = engine.settings;
  const out: Leftovers = { dirs: [], snapshots: [], volumes: [] };
  const root = join(dataDir, 'backup');
  const names = await readdir(root).catch(() => [] as string[]);
  const deps = { podman: engine.podman, dataDir };
  for (const name of names) {
    const m = WORK_DIR.exec(name);
    if (!m) continue;
    const dir = join(root, name);
    if (m[2] !== undefined ? alive(Number(m[2])) : await recent(dir)) continue;
    const adopted = await readFile(join(dir, ADOPTED_FILE), 'utf8').then(
      (t) => JSON.parse(t) as { volume: string; id: string },
      () => undefined,
    );
    if (adopted) {
      const found = (await listSnapshots(deps, adopted.volume)).find(
        (s) => s.id === adopted.id && s.reason === 'from-backup',
      );
      if (found) {
        await removeSnapshot(deps, found);
        out.snapshots.push(`${found.volume}/${found.id}`);
      }
    }
    await rm(dir, { recursive: true, force: true });
    out.dirs.push(dir);
  }
  for (const v of await engine.podman.listVolumes({ [LABEL_SCRATCH]: instance })) {
    const pid = Number(v.labels[LABEL_SCRATCH_PID]);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
    // A volume still used by a container (a drill's check of a live process) refuses; it is left for next time.
    const removed = await engine.podman.removeVolume(v.name).then(
      () => true,
      () => false,
    );
    if (removed) out.volumes.push(v.name);
  }
  return out;
}

async function recent(dir: string): Promise<boolean> {
  const s = await stat(dir).catch(() => undefined);
  return s !== undefined && Date.now() - s.mtimeMs < UNNAMED_GRACE_MS;
}

/** One line for people and logs; empty when nothing was left. */
export function describeLeftovers(l: Leftovers): string {
  const parts = [
    l.dirs.length && `${l.dirs.length} working director${l.dirs.length === 1 ? 'y' : 'ies'}`,
    l.snapshots.length && `${l.snapshots.length} restored local snapshot(s)`,
    l.volumes.length && `${l.volumes.length} scratch volume(s)`,
  ].filter(Boolean);
  return parts.length
    ? `removed what an interrupted backup run left: ${parts.join(', ')} (no backup or data of a resource was in them)`
    : '';
}

/**
 * cleanLeftovers under the apply lock, at the start of a backup, restore or drill and when the daemon starts.
 * Never fails the caller: what cannot be removed now is logged and tried again next time.
 */
export async function sweepLeftovers(engine: Engine, step?: (message: string) => void): Promise<Leftovers> {
  try {
    const found = await withApplyLock(engine, () => cleanLeftovers(engine));
    const said = describeLeftovers(found);
    if (said) {
      step?.(said);
      engine.logger.warn({ ...found }, said);
    }
    return found;
  } catch (err) {
    engine.logger.warn({ err }, 'removing what interrupted backup runs left');
    return { dirs: [], snapshots: [], volumes: [] };
  }
}
