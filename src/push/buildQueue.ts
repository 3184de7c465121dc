// The build queue shared by every push on the box: tickets in <dataDir>/builds/queue, N build slots (default 1),
// first come first served, and a newer push to the same app branch supersedes one still waiting.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { type ProcessIdentity, processGone, selfIdentity, tryLockFile } from '../store/lockFile.js';

/** One push waiting for (or holding) a build slot. */
export interface Ticket {
  /** File name in the queue directory; sorts in arrival order. */
  id: string;
  pid: number;
  /** The pushing process's start time and boot id: a reused pid does not keep a dead push's ticket alive. */
  start?: ProcessIdentity['start'];
  boot?: ProcessIdentity['boot'];
  repo: string;
  branch: string;
  commit: string;
  user: string;
}

export type Turn = { kind: 'go' } | { kind: 'wait'; ahead: number } | { kind: 'superseded'; by: Ticket };

/**
 * Pure decision for `mine` given the live tickets (any order): superseded when a newer ticket is for the same
 * repository and branch; allowed to try for a slot when fewer than `slots` tickets arrived before it.
 */
export function decideTurn(tickets: Ticket[], mine: Ticket, slots: number): Turn {
  const sorted = [...tickets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const newer = sorted.filter((t) => t.id > mine.id && t.repo === mine.repo && t.branch === mine.branch);
  if (newer.length > 0) return { kind: 'superseded', by: newer[newer.length - 1]! };
  const ahead = sorted.filter((t) => t.id < mine.id).length;
  return ahead < slots ? { kind: 'go' } : { kind: 'wait', ahead };
}

/** A held build slot; release it when the build is over. */
export interface BuildSlot {
  path: string;
  release(): Promise<void>;
}

/** Tries to take one of the `slots` slot files; a slot of a dead process is taken over. */
export async function tryAcquireSlot(
  dataDir: string,
  slots: number,
  owner: string,
): Promise<BuildSlot | undefined> {
  const dir = join(dataDir, 'builds');
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < slots; i++) {
    // A lock file like the apply lock's: never seen half-written, taken over only from a provably dead owner,
    // released only by its owner (store/lockFile.ts).
    const attempt = await tryLockFile(join(dir, `slot-${i}.lock`), { owner });
    if (attempt.held) return { path: attempt.held.path, release: () => attempt.held.release() };
  }
  return undefined;
}

export interface QueueOptions {
  dataDir: string;
  /** Builds at once (HIY_BUILDS_AT_ONCE, default 1). */
  slots: number;
  /** Called when the position in the queue changes. */
  onWait?(ahead: number): void;
  pollMs?: number;
  /** Gives up waiting (a cancelled build, a disconnected pusher). */
  signal?: AbortSignal;
}

export type QueueResult =
  | { kind: 'slot'; slot: BuildSlot }
  | { kind: 'superseded'; by: Ticket }
  | { kind: 'cancelled'; reason: string };

async function liveTickets(dir: string): Promise<Ticket[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Ticket[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const t = JSON.parse(await readFile(join(dir, name), 'utf8')) as Ticket;
      if (!processGone(t)) out.push({ ...t, id: name });
      else await rm(join(dir, name), { force: true });
    } catch {
      // A ticket being written or removed right now.
    }
  }
  return out;
}

/**
 * Enqueues a ticket and waits for a build slot; resolves superseded when a newer push to the same branch
 * arrives first. The ticket is removed either way (`finished` after the build when a slot was granted).
 */
export async function waitForBuildSlot(
  request: Omit<Ticket, 'id' | 'pid' | 'start' | 'boot'>,
  opts: QueueOptions,
): Promise<QueueResult> {
  const dir = join(opts.dataDir, 'builds', 'queue');
  await mkdir(dir, { recursive: true });
  const id = `${String(Date.now()).padStart(15, '0')}-${String(process.pid).padStart(7, '0')}-${randomBytes(3).toString('hex')}.json`;
  const mine: Ticket = { ...request, id, ...selfIdentity() };
  await writeFileAtomic(join(dir, id), JSON.stringify(mine));
  let lastAhead = -1;
  try {
    for (;;) {
      if (opts.signal?.aborted)
        return { kind: 'cancelled', reason: String(opts.signal.reason ?? 'cancelled') };
      const turn = decideTurn(await liveTickets(dir), mine, opts.slots);
      if (turn.kind === 'superseded') return turn;
      if (turn.kind === 'go') {
        const slot = await tryAcquireSlot(opts.dataDir, opts.slots, id);
        if (slot) return { kind: 'slot', slot };
      }
      const ahead = turn.kind === 'wait' ? turn.ahead : 0;
      if (ahead !== lastAhead) opts.onWait?.(ahead);
      lastAhead = ahead;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
    }
  } finally {
    await rm(join(dir, id), { force: true });
  }
}
