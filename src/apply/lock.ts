// One apply at a time on a box: an exclusive lock file in the data directory, taken over when its owner died.

import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../drivers/process.js';
import { HiyError } from '../model/errors.js';

export class LockBusyError extends HiyError<{ path: string; pid: number; since: string }> {
  constructor(data: { path: string; pid: number; since: string }) {
    super(
      'LOCKED',
      `another hiy apply is running (pid ${data.pid}, since ${data.since}); lock ${data.path}`,
      {
        data,
      },
    );
    this.name = 'LockBusyError';
  }
}

/** Locks this process holds: its own pid in a lock file means busy while held here, stale otherwise. */
const heldHere = new Set<string>();

export interface ApplyLock {
  path: string;
  /** True when a stale lock of a dead process was taken over. */
  tookOver?: { pid: number; since: string };
  release(): Promise<void>;
}

/** Takes the lock `<dataDir>/apply.lock` or throws LockBusyError while a live process holds it. */
export async function acquireApplyLock(dataDir: string): Promise<ApplyLock> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, 'apply.lock');
  let tookOver: ApplyLock['tookOver'];
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      await fh.close();
      heldHere.add(path);
      return {
        path,
        tookOver,
        release: async () => {
          heldHere.delete(path);
          await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid: number; since: string } = { pid: 0, since: 'unknown' };
      try {
        holder = JSON.parse(await readFile(path, 'utf8')) as typeof holder;
      } catch {
        // A lock being written right now, or garbage: garbage is stale.
      }
      const busy =
        holder.pid === process.pid ? heldHere.has(path) : holder.pid > 0 && processAlive(holder.pid);
      if (busy) throw new LockBusyError({ path, ...holder });
      tookOver = holder;
      await rm(path, { force: true });
    }
  }
  throw new LockBusyError({ path, pid: 0, since: 'unknown' });
}
