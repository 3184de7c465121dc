// One apply at a time on a box: an exclusive lock file in the data directory, taken over when its owner died.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { HiyError } from '../model/errors.js';
import { type HeldLock, lockHolder, sweepLockLeftovers, tryLockFile } from '../store/lockFile.js';

export class LockBusyError extends HiyError<{ path: string; pid: number; since: string }> {
  constructor(data: { path: string; pid: number; since: string }) {
    super(
      'LOCKED',
      data.pid > 0
        ? `another hiy apply is running (pid ${data.pid}, since ${data.since}); lock ${data.path}`
        : `the apply lock ${data.path} is held but unreadable; if no hiy runs on this box, remove it`,
      { data },
    );
    this.name = 'LockBusyError';
  }
}

export interface ApplyLock {
  path: string;
  /** True when a stale lock of a dead process was taken over. */
  tookOver?: { pid: number; since: string };
  release(): Promise<void>;
}

/**
 * Test hook: with `HIY_TEST_LOCK_TRACE=FILE`, each holder appends `enter PID TOKEN` once it holds the lock and
 * `leave PID TOKEN` just before it lets go, so a test can prove no two processes ever held it at once.
 */
function trace(env: NodeJS.ProcessEnv, what: 'enter' | 'leave', held: HeldLock): void {
  const file = env.HIY_TEST_LOCK_TRACE;
  if (file) appendFileSync(file, `${what} ${held.record.pid} ${held.record.token}\n`);
}

/** Whether a run holds the apply lock now (a lock that cannot be read counts as held). Reads, never takes it. */
export async function applyLockHeld(dataDir: string): Promise<boolean> {
  return (await lockHolder(join(dataDir, 'apply.lock'))) !== 'free';
}

/**
 * Takes the lock `<dataDir>/apply.lock` or throws LockBusyError while a live process holds it. The lock is
 * stale only when its owner is provably dead (see store/lockFile.ts); an unreadable one is busy.
 */
export async function acquireApplyLock(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApplyLock> {
  const path = join(dataDir, 'apply.lock');
  const attempt = await tryLockFile(path);
  if (!attempt.held) {
    const h = attempt.holder;
    throw new LockBusyError({ path, pid: h?.pid ?? 0, since: h?.since ?? 'unknown' });
  }
  const { held, tookOver } = attempt;
  trace(env, 'enter', held);
  await sweepLockLeftovers(held).catch(() => undefined);
  let traced = false;
  return {
    path,
    ...(tookOver && { tookOver: { pid: tookOver.pid, since: tookOver.since } }),
    release: async () => {
      if (!traced) trace(env, 'leave', held);
      traced = true;
      await held.release();
    },
  };
}
