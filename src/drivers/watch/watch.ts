// Watching a directory for changes (chokidar): the state repo's refs, the data directory's event log.

import { watch } from 'chokidar';

/** What changed under the watched directory. */
export type WatchEvent = 'add' | 'addDir' | 'change' | 'unlink' | 'unlinkDir';

const REPORTED = new Set<string>(['add', 'addDir', 'change', 'unlink', 'unlinkDir'] satisfies WatchEvent[]);

export interface WatchOptions {
  /** Paths for which this returns true are neither reported nor descended into. */
  ignored?: (path: string) => boolean;
  /** How many directory levels below `dir` are watched (0: its entries only). */
  depth: number;
  /** Called for every change after the watcher is ready (what exists at the start is not reported). */
  onEvent(event: WatchEvent, path: string): void;
  onError(err: unknown): void;
}

export interface DirWatcher {
  /** Resolves once the initial scan is done: changes from then on are reported. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Watches `dir` until closed. */
export function watchDir(dir: string, opts: WatchOptions): DirWatcher {
  const watcher = watch(dir, {
    ...(opts.ignored ? { ignored: opts.ignored } : {}),
    ignoreInitial: true,
    persistent: true,
    depth: opts.depth,
  });
  const ready = new Promise<void>((r) => watcher.once('ready', () => r()));
  watcher.on('all', (event, path) => {
    if (REPORTED.has(event)) opts.onEvent(event as WatchEvent, path);
  });
  watcher.on('error', (err) => opts.onError(err));
  return { ready, close: () => watcher.close() };
}
