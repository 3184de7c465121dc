// What HIY remembers between runs: the commit last applied and per-resource records, written atomically.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface ResourceRecord {
  lastAppliedCommit?: string;
  lastAppliedAt?: string;
  specHash?: string;
  image?: string;
  lastError?: string;
}

export interface StoredStatus {
  lastAppliedCommit?: string;
  lastAppliedAt?: string;
  lastAttemptedCommit?: string;
  lastAttemptedAt?: string;
  lastError?: string;
  resources: Record<string, ResourceRecord>;
}

/** Writes a file atomically: a temporary file in the same directory, then rename. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

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
