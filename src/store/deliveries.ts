// Webhook deliveries already received (by delivery id), so a replayed push webhook is refused.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/** How long a delivery id is remembered: forges redeliver within hours, attackers replay whenever. */
export const DELIVERY_WINDOW_MS = 7 * 24 * 3600 * 1000;

/** Remembers delivery ids for DELIVERY_WINDOW_MS in `<dataDir>/webhooks/deliveries.json` (atomic writes). */
export class DeliveryLog {
  readonly path: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.path = join(dataDir, 'webhooks', 'deliveries.json');
  }

  /** Records the id; false when it was already seen within the window (a replay). Serialized in-process. */
  remember(id: string, now = Date.now()): Promise<boolean> {
    const next = this.chain.then(async () => {
      let seen: Record<string, number> = {};
      try {
        seen = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, number>;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      for (const [k, at] of Object.entries(seen)) if (now - at > DELIVERY_WINDOW_MS) delete seen[k];
      if (id in seen) return false;
      seen[id] = now;
      await writeFileAtomic(this.path, `${JSON.stringify(seen)}\n`);
      return true;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
