// Pushes that are deployed but not yet on their branch: a push's pre-receive hook deploys the pushed commit, then
// exits, and only then does git move the branch. A reconcile in between (the daemon's) would read the old head
// and roll the App back; while git-receive-pack lives and the branch has not moved, every reconcile uses the
// pushed commit instead. A rejected push ends receive-pack without moving the branch: the old head counts again.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../drivers/process.js';
import { writeFileAtomic } from '../store/atomic.js';
import { sourceKey } from './load.js';

export interface PendingPush {
  gitDir: string;
  branch: string;
  commit: string;
  /** git-receive-pack's pid: the record counts while it lives. */
  pid: number;
}

function dirOf(dataDir: string): string {
  return join(dataDir, 'pushes');
}

function fileOf(dataDir: string, p: Pick<PendingPush, 'gitDir' | 'branch'>): string {
  const id = createHash('sha256').update(sourceKey(p.gitDir, p.branch)).digest('hex').slice(0, 16);
  return join(dirOf(dataDir), `${id}.json`);
}

/** Records a deployed push (call it under the apply lock, before the lock is released). */
export async function recordPendingPush(dataDir: string, push: PendingPush): Promise<void> {
  await writeFileAtomic(fileOf(dataDir, push), JSON.stringify(push));
}

/** Source overrides of the pushes whose receive-pack still runs; records of finished ones are removed. */
export async function pendingPushOverrides(dataDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dirOf(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = join(dirOf(dataDir), name);
    const push = await readFile(file, 'utf8')
      .then((t) => JSON.parse(t) as PendingPush)
      .catch(() => undefined);
    if (push && processAlive(push.pid)) out.set(sourceKey(push.gitDir, push.branch), push.commit);
    else await rm(file, { force: true });
  }
  return out;
}
