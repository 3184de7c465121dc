// Pins: a resource rolled back by `hiy rollback` keeps its release until the state repo changes that resource
// or the user runs `hiy unpin`. Stored in `<dataDir>/pins.json`, written atomically.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesiredState } from '../desired/types.js';
import { type DesiredWorkload, hashOf } from '../model/workload.js';
import type { PinNote } from '../plan/types.js';
import { writeFileAtomic } from './statusStore.js';

export interface Pin {
  resource: string;
  /** The release the resource is pinned to. */
  release: number;
  /** The workload of that release: what the planner uses instead of the state repo's. */
  workload: DesiredWorkload;
  /** Hash of the state repo's version of the resource when pinned; a different one lifts the pin. */
  ignoredHash: string;
  /** State repo commit whose version of the resource the pin ignores. */
  ignoredCommit: string;
  pinnedAt: string;
  withData: boolean;
}

/** What a pin means for one plan: applied (the resource keeps its release), or lifted by a state repo change. */
export type PinEffect = PinNote;

/** The hash a pin compares: the whole resolved workload (routes, health check and source commit included). */
export function workloadHash(w: DesiredWorkload): string {
  return hashOf(w);
}

export class PinStore {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'pins.json');
  }

  async read(): Promise<Record<string, Pin>> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as Record<string, Pin>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }

  async write(pins: Record<string, Pin>): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(pins, null, 2)}\n`);
  }

  async set(pin: Pin): Promise<void> {
    const all = await this.read();
    all[pin.resource] = pin;
    await this.write(all);
  }

  /** Removes pins; returns those that existed. */
  async remove(resources: string[]): Promise<Pin[]> {
    const all = await this.read();
    const removed = resources.flatMap((r) => (all[r] ? [all[r]] : []));
    if (removed.length === 0) return [];
    for (const r of resources) delete all[r];
    await this.write(all);
    return removed;
  }
}

/**
 * Swaps pinned resources' workloads into the desired state. A pin whose resource the state repo changed since
 * (or removed) is lifted: the state repo wins again. Pure.
 */
export function applyPins(
  desired: DesiredState,
  pins: Record<string, Pin>,
): { desired: DesiredState; effects: PinEffect[] } {
  const effects: PinEffect[] = [];
  const workloads = desired.workloads.map((w) => {
    const pin = pins[w.id];
    if (!pin) return w;
    const pinned = pin.ignoredHash === workloadHash(w);
    effects.push({
      resource: pin.resource,
      release: pin.release,
      ignoredCommit: pin.ignoredCommit,
      pinnedAt: pin.pinnedAt,
      state: pinned ? 'pinned' : 'lifted',
    });
    return pinned ? pin.workload : w;
  });
  for (const pin of Object.values(pins)) {
    if (!desired.workloads.some((w) => w.id === pin.resource)) {
      effects.push({
        resource: pin.resource,
        release: pin.release,
        ignoredCommit: pin.ignoredCommit,
        pinnedAt: pin.pinnedAt,
        state: 'lifted',
      });
    }
  }
  return { desired: { ...desired, workloads }, effects };
}
