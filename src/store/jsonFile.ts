// A small JSON list kept in one file of the data directory, written atomically, with writes queued per process.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';

const chains = new Map<string, Promise<unknown>>();

/** The list in `path`, or [] when there is no file yet. */
export async function readJsonList<T>(path: string): Promise<T[]> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Reads the list, lets `change` edit it and writes it back (mode 600: these files hold hashes of credentials)
 * when `change` returns true. Updates of one file within this process run one after another, so two requests
 * never lose each other's change.
 */
export function updateJsonList<T, R>(
  path: string,
  change: (list: T[]) => { changed: boolean; result: R },
): Promise<R> {
  const run = (chains.get(path) ?? Promise.resolve()).then(async () => {
    const list = await readJsonList<T>(path);
    const { changed, result } = change(list);
    if (changed) await writeFileAtomic(path, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
    return result;
  });
  chains.set(
    path,
    run.catch(() => undefined),
  );
  return run;
}
