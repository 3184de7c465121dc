// Holding the box-wide apply lock: waiting for it, recovering what a killed run left open, then running.
import { acquireApplyLock } from '../apply/lock.js';
import { recover } from '../apply/recover.js';
import type { Engine } from './context.js';
import { type LockWait, retryWhileLocked } from './lockWait.js';
import type { OperationView } from './views.js';

/** How one locked run waits and is shown (defaults: the engine's lockWaitMs and onLockWait). */
export interface LockedRunOptions {
  wait?: Partial<LockWait>;
  /** Told of the wait (`lockWait`, over the engine's onLockWait) and of what recovery did (`recovered`). */
  view?: Pick<OperationView, 'lockWait' | 'recovered'>;
}

/** Runs fn holding the box-wide apply lock, after crash recovery (plan and apply must both happen under it). */
export async function withApplyLock<T>(
  engine: Engine,
  fn: () => Promise<T>,
  opts: LockedRunOptions = {},
): Promise<T> {
  const onWait = opts.view?.lockWait?.bind(opts.view) ?? engine.onLockWait;
  const lock = await retryWhileLocked(() => acquireApplyLock(engine.settings.dataDir), {
    ms: engine.lockWaitMs ?? 0,
    ...(onWait && { onWait }),
    ...opts.wait,
  });
  if (lock.tookOver) engine.logger.warn({ stale: lock.tookOver }, 'took over a stale apply lock');
  try {
    const recovery = await recover({
      podman: engine.podman,
      dataDir: engine.settings.dataDir,
      instance: engine.settings.instance,
      journal: engine.stores.journal,
    });
    for (const step of recovery.steps) engine.logger.warn({ step }, 'recovered an interrupted step');
    if (recovery.discardedSnapshots.length)
      engine.logger.warn({ dirs: recovery.discardedSnapshots }, 'discarded incomplete snapshots');
    opts.view?.recovered?.(recovery);
    return await fn();
  } finally {
    await lock.release();
  }
}
