// Pushes that are deployed but not yet on their branch: a push's pre-receive hook deploys the pushed commit, then
// exits, and only then does git move the branch. A reconcile in between (the daemon's) would read the old head
// and roll the App back; while git-receive-pack lives and the branch has not moved, every reconcile uses the
// pushed commit instead. A rejected push ends receive-pack without moving the branch: the old head counts again.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { identityOf, type ProcessIdentity, processGone } from '../store/lockFile.js';
import { sourceKey } from './load.js';

export interface PendingPush {
  gitDir: string;
  branch: string;
  commit: string;
  /** git-receive-pack's pid: the record counts while it lives. */
  pid: number;
  /** Its start time and boot id (filled in when recorded): a reused pid does not keep the record alive. */
  start?: ProcessIdentity['start'];
  boot?: ProcessIdentity['boot'];
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
  await writeFileAtomic(fileOf(dataDir, push), JSON.stringify({ ...push, ...identityOf(push.pid) }));
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
    if (push && !processGone(push)) out.set(sourceKey(push.gitDir, push.branch), push.commit);
    else await rm(file, { force: true });
  }
  return out;
}
