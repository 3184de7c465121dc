// The cache of port declarations read from images: `<dataDir>/port-declarations.json`, keyed by image id.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/** What the cache holds: each image reference's last known id, and each image id's declaration label. */
export interface PortDeclarationCacheFile {
  /** image reference → image id, as `podman image inspect` last said. */
  refs: Record<string, string>;
  /** image id → the `io.hiy.port.v1` label's text, or null for an image without one. */
  labels: Record<string, string | null>;
}

/**
 * An image id names its content (labels included), so a cached label can never be stale; only the reference →
 * id mapping can move (a tag rebuilt), which readers check against what the box runs.
 */
export class PortDeclarationStore {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'port-declarations.json');
  }

  async read(): Promise<PortDeclarationCacheFile> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as Partial<PortDeclarationCacheFile>;
      return { refs: parsed.refs ?? {}, labels: parsed.labels ?? {} };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { refs: {}, labels: {} };
      throw err;
    }
  }

  async write(cache: PortDeclarationCacheFile): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(cache, null, 2)}\n`);
  }
}
