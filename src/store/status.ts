// What HIY remembers between runs: the commit last applied and per-resource records, written atomically.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredStatus } from '../model/status.js';
import { writeFileAtomic } from './atomic.js';

export class StatusStore {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'status.json');
  }

  async read(): Promise<StoredStatus> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as StoredStatus;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { resources: {} };
      throw err;
    }
  }

  async write(status: StoredStatus): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(status, null, 2)}\n`);
  }
}
