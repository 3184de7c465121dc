// What a running daemon publishes in DATA_DIR/daemon.json (pid, endpoints, its plan settings), read by commands.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lockHolder } from './lockFile.js';

export interface DaemonRuntime {
  pid: number;
  startedAt?: string;
  endpoints?: Record<string, string>;
  /** The daemon's plan settings as text (model/settings.ts planSettings); absent from an older daemon. */
  settings?: Record<string, string | undefined>;
}

/**
 * The daemon.json of the daemon running on this data directory now; undefined when none runs (no pid file, or
 * its owner provably dead) or it has published nothing readable.
 */
export async function runningDaemon(dataDir: string): Promise<DaemonRuntime | undefined> {
  const holder = await lockHolder(join(dataDir, 'daemon.pid'));
  if (holder === 'free' || holder === 'unreadable') return undefined;
  try {
    const runtime = JSON.parse(await readFile(join(dataDir, 'daemon.json'), 'utf8')) as DaemonRuntime;
    // A daemon.json left by an earlier daemon is not this one's.
    return runtime.pid === holder.pid ? runtime : undefined;
  } catch {
    return undefined;
  }
}
