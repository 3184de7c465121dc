// The data version of each volume a declared port runs on: `<dataDir>/data-versions.json`, written atomically.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/** What HIY knows of a volume's data layout: the port data version it was last left in. */
export interface VolumeDataVersion {
  version: number;
  resource: string;
  updatedAt: string;
}

export class DataVersionStore {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'data-versions.json');
  }

  /** volume name → its data version; volumes never run by a declared port are absent. */
  async read(): Promise<Record<string, VolumeDataVersion>> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as Record<string, VolumeDataVersion>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }

  /** Records that `volumes` now hold data of `version`; writes only when something changed. */
  async set(volumes: string[], version: number, resource: string, now = new Date()): Promise<void> {
    const all = await this.read();
    let changed = false;
    for (const v of volumes) {
      if (all[v]?.version === version && all[v]?.resource === resource) continue;
      all[v] = { version, resource, updatedAt: now.toISOString() };
      changed = true;
    }
    if (changed) await writeFileAtomic(this.path, `${JSON.stringify(all, null, 2)}\n`);
  }
}
