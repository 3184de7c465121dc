// The output of each resource's last removed container (`hiy logs NAME --previous`): one JSON file per resource.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/** Lines of output kept of a removed container: its last ones (podman's `--tail`)… */
export const PREVIOUS_LOG_LINES = 10_000;
/** …and at most this many bytes of them, the newest. */
export const PREVIOUS_LOG_BYTES = 1024 * 1024;

/** One line of a container's output, as `podman logs --timestamps` gave it. */
export interface PreviousLogLine {
  stream: 'stdout' | 'stderr';
  /** When the container wrote it (RFC 3339, podman's clock); empty when podman gave none. */
  time: string;
  text: string;
}

/** The output of the container a resource had before its last replacement (or its removal). */
export interface PreviousLog {
  resource: string;
  /** The container's name and id when it was removed. */
  container: string;
  containerId: string;
  /**
   * `replaced` by a deploy or a restart; `removed` with its resource; `failed`: the new container of a deploy that
   * did not become healthy (its output says why), removed when the deploy rolled back.
   */
  reason: 'replaced' | 'removed' | 'failed';
  removedAt: string;
  /** Its last lines, oldest first (at most PREVIOUS_LOG_LINES and PREVIOUS_LOG_BYTES). */
  lines: PreviousLogLine[];
  /** Older output was left out by those bounds. */
  truncated: boolean;
}

function fileOf(dataDir: string, resource: string): string {
  return join(dataDir, 'previous-logs', `${resource.replace('/', '_')}.json`);
}

/** `<dataDir>/previous-logs/KIND_NAME.json`: the last removed container's output, per resource. */
export class PreviousLogStore {
  constructor(private readonly dataDir: string) {}

  /** The kept output of the resource's last removed container, or undefined when none was kept. */
  async read(resource: string): Promise<PreviousLog | undefined> {
    try {
      return JSON.parse(await readFile(fileOf(this.dataDir, resource), 'utf8')) as PreviousLog;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Replaces the resource's kept output (owner-only: a container's output can say more than it should). */
  async write(log: PreviousLog): Promise<void> {
    await writeFileAtomic(fileOf(this.dataDir, log.resource), `${JSON.stringify(log)}\n`, { mode: 0o600 });
  }
}
