// Pins: a resource rolled back by `hiy rollback` keeps its release until the state repo changes that resource
// or the user runs `hiy unpin`. Stored in `<dataDir>/pins.json`, written atomically.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pin } from '../model/status.js';
import { writeFileAtomic } from './atomic.js';

export type { Pin };

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
