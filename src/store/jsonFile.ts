// A small JSON list kept in one file of the data directory, rewritten atomically under a lock across processes.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from './atomic.js';
import { tryLockFile } from './lockFile.js';

const chains = new Map<string, Promise<unknown>>();

/**
 * How long an update waits for another process's update of the same file: each holds the lock for one read and
 * one small write, so this is only reached when something is badly stuck.
 */
export const LIST_LOCK_WAIT_MS = 30_000;

/** The list in `path`, or [] when there is no file yet. */
export async function readJsonList<T>(path: string): Promise<T[]> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Runs `fn` holding `PATH.lock` (src/store/lockFile.ts: a dead holder's lock is taken over), polling until free. */
async function underLock<R>(path: string, fn: () => Promise<R>): Promise<R> {
  const deadline = Date.now() + LIST_LOCK_WAIT_MS;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    const attempt = await tryLockFile(`${path}.lock`);
    if (attempt.held) {
      try {
        return await fn();
      } finally {
        await attempt.held.release();
      }
    }
    if (Date.now() > deadline) {
      const pid = attempt.holder?.pid;
      throw new Error(`${path} stays locked${pid ? ` by process ${pid}` : ''}: try again`);
    }
    await sleep(wait);
  }
}

/**
 * Reads the list, lets `change` edit it and writes it back (mode 600: these files hold hashes of credentials)
 * when `change` returns true. The read and the write happen under a lock across processes (and updates within
 * this process queue), so no update is ever lost: a used sign-in link or an ended session cannot come back
 * through another process's rewrite of the list it read before.
 */
export function updateJsonList<T, R>(
  path: string,
  change: (list: T[]) => { changed: boolean; result: R },
): Promise<R> {
  const run = (chains.get(path) ?? Promise.resolve()).then(() =>
    underLock(path, async () => {
      const list = await readJsonList<T>(path);
      const { changed, result } = change(list);
      if (changed) await writeFileAtomic(path, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
      return result;
    }),
  );
  chains.set(
    path,
    run.catch(() => undefined),
  );
  return run;
}
