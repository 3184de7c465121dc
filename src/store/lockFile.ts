// Exclusive lock files: whole before they appear (link), stale only when their owner provably died, taken over
// without a race, released only by their owner.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * What a lock file holds: who took it, precisely enough to tell later whether that very process still runs.
 * Written to a private temporary file and fsynced before `link()` gives it the lock's name, so a reader never
 * sees a lock file without its whole content.
 */
export interface LockRecord {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22): tells a reused pid apart. */
  start?: string;
  /** The kernel's boot id: a lock written before a reboot has a dead owner whatever its pid. */
  boot?: string;
  /** Unique to one acquisition: an owner releases only the lock file that holds its own token. */
  token: string;
  since: string;
  /** Free-form facts for humans (e.g. which push holds a build slot). */
  meta?: Record<string, string>;
}

/** A lock this process holds. */
export interface HeldLock {
  path: string;
  record: LockRecord;
  /** Removes the lock file if it is still this one (never another owner's); idempotent. */
  release(): Promise<void>;
}

export type LockAttempt =
  /** Taken; `tookOver` is the record of a dead owner whose lock was removed on the way. */
  | { held: HeldLock; tookOver?: LockRecord }
  /** Held by a live process (or one not provably dead); `holder` is undefined when the file is unreadable. */
  | { held?: undefined; holder: LockRecord | undefined };

/** Tokens this process uses right now: locks it holds, and its attempts (their claims) under way. */
const liveTokens = new Set<string>();

function readStat(pid: number | 'self'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Start time of a process (clock ticks after boot), or undefined when /proc does not show it. */
export function processStartTime(pid: number | 'self'): string | undefined {
  const stat = readStat(pid);
  if (!stat) return undefined;
  // Field 2 (comm) is in parentheses and may itself hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19]; // field 22, starttime
}

let bootIdCache: string | undefined | null = null;
function bootId(): string | undefined {
  if (bootIdCache === null) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      bootIdCache = undefined;
    }
  }
  return bootIdCache;
}

let selfStart: string | undefined | null = null;
/** This process as a lock owner (pid, start time, boot id). */
export function selfIdentity(): Pick<LockRecord, 'pid' | 'start' | 'boot'> {
  if (selfStart === null) selfStart = processStartTime('self');
  return {
    pid: process.pid,
    ...(selfStart !== undefined && { start: selfStart }),
    ...(bootId() !== undefined && { boot: bootId() }),
  };
}

/** A process as records name it: pid, start time and boot id (enough to tell a reused pid apart). */
export type ProcessIdentity = Pick<LockRecord, 'pid' | 'start' | 'boot'>;

/** The identity of another process, read now (e.g. the git-receive-pack a record outlives). */
export function identityOf(pid: number): ProcessIdentity {
  const start = processStartTime(pid);
  const boot = bootId();
  return { pid, ...(start !== undefined && { start }), ...(boot !== undefined && { boot }) };
}

/**
 * True only when the process `r` names is provably gone: the box rebooted since, no process has its pid, or
 * the process with its pid started at another time (the pid was reused). A process this one cannot see
 * (another user's, /proc hidden) counts as alive; so does a record without a start time whose pid lives.
 */
export function processGone(r: ProcessIdentity): boolean {
  const self = selfIdentity();
  if (r.boot && self.boot && r.boot !== self.boot) return true;
  if (!Number.isInteger(r.pid) || r.pid <= 0) return false;
  try {
    process.kill(r.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  if (!r.start) return false; // written by an older HIY: a live pid is all it can tell
  const now = processStartTime(r.pid);
  return now !== undefined && now !== r.start;
}

/**
 * True only when the process that wrote `r` is provably gone (processGone). A record of this very process is
 * stale only when this process no longer uses its token (a release that could not remove its file).
 */
export function ownerIsDead(r: LockRecord): boolean {
  const self = selfIdentity();
  const sameBoot = !(r.boot && self.boot && r.boot !== self.boot);
  if (sameBoot && r.pid === process.pid && (!r.start || r.start === self.start))
    return !liveTokens.has(r.token);
  return processGone(r);
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LockRecord> | number;
    // Older HIY wrote some locks (the job locks) as a bare pid: a dead one's lock is stale like any other.
    if (typeof r === 'number')
      return Number.isInteger(r) && r > 0 ? { pid: r, token: text, since: '' } : undefined;
    if (typeof r !== 'object' || r === null || typeof r.pid !== 'number') return undefined;
    // A lock of an older HIY has no token: its whole text identifies it.
    return { ...r, token: typeof r.token === 'string' ? r.token : text } as LockRecord;
  } catch {
    return undefined;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A file name part for a token (tokens of older locks are their whole text). */
function tokenName(token: string): string {
  return /^[0-9a-f]{8,64}$/.test(token) ? token : Buffer.from(token).toString('hex').slice(0, 64);
}

async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function linkExclusive(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Removes the lock file at `path` if it still holds the dead owner's `stale` record. Several processes may find
 * the same stale lock at once; only the one that creates `<path>.takeover-<token>` (link: exactly one can)
 * may remove it, and it checks the file still holds that record first. A lock file, once removed, never comes
 * back with the same token, so a late contender's check fails and it removes nothing. A claim whose owner died
 * is itself taken over the same way. `ours` is our record already on disk (linked, never copied).
 */
async function removeStale(
  path: string,
  stale: LockRecord,
  ours: string,
  depth = 0,
): Promise<'removed' | 'retry' | 'busy'> {
  if (depth > 3) return 'busy';
  const claim = `${path}.takeover-${tokenName(stale.token)}`;
  if (!(await linkExclusive(ours, claim))) {
    const text = await readText(claim);
    if (text === undefined) return 'retry';
    const claimant = parseRecord(text);
    if (!claimant || !ownerIsDead(claimant)) return 'busy';
    return (await removeStale(claim, claimant, ours, depth + 1)) === 'busy' ? 'busy' : 'retry';
  }
  try {
    const text = await readText(path);
    if (text !== undefined && parseRecord(text)?.token === stale.token) await unlinkIfThere(path);
    return 'removed';
  } finally {
    await unlink(claim).catch(() => undefined);
  }
}

/** Who holds the lock at `path` without taking it: `free` when absent or its owner is provably dead. */
export async function lockHolder(path: string): Promise<LockRecord | 'unreadable' | 'free'> {
  const text = await readText(path);
  if (text === undefined) return 'free';
  const r = parseRecord(text);
  if (!r) return 'unreadable';
  return ownerIsDead(r) ? 'free' : r;
}

/** Writes `text` to a new file and makes it durable (a lock must never appear empty, not even after a crash). */
async function writeNew(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** One attempt to take the lock file at `path`; a lock of a dead owner is taken over on the way. */
export async function tryLockFile(path: string, meta?: Record<string, string>): Promise<LockAttempt> {
  await mkdir(dirname(path), { recursive: true });
  const token = randomBytes(16).toString('hex');
  const record: LockRecord = {
    ...selfIdentity(),
    token,
    since: new Date().toISOString(),
    ...(meta && { meta }),
  };
  const tmp = `${path}.${token}.tmp`;
  liveTokens.add(token);
  let taken = false;
  let tookOver: LockRecord | undefined;
  let holder: LockRecord | undefined;
  try {
    await writeNew(tmp, JSON.stringify(record));
    // Each round ends in the lock taken, a live holder, or a stale lock removed (then try again).
    for (let round = 0; round < 8; round++) {
      if (await linkExclusive(tmp, path)) {
        taken = true;
        return { held: heldLock(path, record), ...(tookOver && { tookOver }) };
      }
      const text = await readText(path);
      if (text === undefined) continue; // released just now
      holder = parseRecord(text);
      // Unreadable is never stale: HIY never shows a lock file before its content is on disk.
      if (!holder || !ownerIsDead(holder)) return { holder };
      const removed = await removeStale(path, holder, tmp);
      if (removed === 'busy') return { holder };
      if (removed === 'removed') tookOver = holder;
    }
    return { holder }; // other processes took and released it all the while: busy for now
  } finally {
    if (!taken) liveTokens.delete(token);
    await unlink(tmp).catch(() => undefined);
  }
}

function heldLock(path: string, record: LockRecord): HeldLock {
  let released = false;
  return {
    path,
    record,
    async release() {
      if (released) return;
      released = true;
      try {
        // Only a lock holding our token is ours: never remove a lock another process took over meanwhile.
        const text = await readText(path);
        if (text !== undefined && parseRecord(text)?.token === record.token) await unlinkIfThere(path);
      } finally {
        liveTokens.delete(record.token);
      }
    },
  };
}

/**
 * Removes what dead contenders left next to the lock at `path` (temporary records and takeover claims). Call it
 * holding that lock: then every other lock file that ever held that name is gone for good, so no claim on one
 * can matter any more.
 */
export async function sweepLockLeftovers(held: HeldLock): Promise<void> {
  const dir = dirname(held.path);
  const base = `${basename(held.path)}.`;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(base));
  for (const name of names) {
    if (!name.endsWith('.tmp') && !name.includes('.takeover-')) continue;
    const file = join(dir, name);
    const text = await readText(file).catch(() => undefined);
    const r = text === undefined ? undefined : parseRecord(text);
    if (r && r.token !== held.record.token && ownerIsDead(r)) await unlink(file).catch(() => undefined);
  }
}
