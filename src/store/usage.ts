// `usage.json`: what the daemon samples for the dashboard (CPU, memory, requests, volume sizes), one atomic file.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import type { Series } from './usageRing.js';

/** A volume's size as last measured. */
export interface VolumeSize {
  /** The resource it belongs to (its label). */
  resource: string;
  bytes: number;
  files: number;
  /** When it was measured (ISO). */
  at: string;
}

/** Everything the daemon's sampler keeps. Bounded: rings of fixed spans, series idle for a day dropped. */
export interface UsageDoc {
  version: 1;
  /** The sampling interval in seconds, as the daemon that wrote the file used it. */
  intervalSeconds: number;
  /** When the last sample was taken (ISO). */
  sampledAt?: string;
  /** Per resource id (`app/blog`): `[CPU % of one core, memory bytes]`, combined as means. */
  resources: Record<string, Series>;
  /**
   * Per route (`host/path` as `hiy status` lists it, `(no route)` for requests no route matched):
   * `[requests, 5xx, durations in ms]`, summed, from Caddy's access log.
   */
  routes: Record<string, Series>;
  /** Per volume name: its size when last measured. */
  volumes: Record<string, VolumeSize>;
  /**
   * What the last sample read up to, to turn the next one into rates: CPU ns per container id, and where the
   * access log was read to (its inode and offset).
   */
  counters?: { at: number; cpu: Record<string, number>; accessLog?: { ino: number; offset: number } };
  /** What the last sample could not read (podman stats, Caddy's metrics), shown by the pages. */
  problems?: string[];
}

export function emptyUsage(intervalSeconds: number): UsageDoc {
  return { version: 1, intervalSeconds, resources: {}, routes: {}, volumes: {} };
}

export class UsageStore {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'usage.json');
  }

  /** The file's content; undefined when the daemon has not sampled yet (or the file is not readable as such). */
  async read(): Promise<UsageDoc | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const doc = JSON.parse(text) as UsageDoc;
      return doc?.version === 1 && doc.resources && doc.routes && doc.volumes ? doc : undefined;
    } catch {
      // Written atomically, so only a hand edit breaks it: it holds samples only, the next sample starts anew.
      return undefined;
    }
  }

  /** Written whole and atomically, compact (one line): it is rewritten at every sample. */
  async write(doc: UsageDoc): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(doc)}\n`);
  }
}
