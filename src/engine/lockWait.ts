// The one loop that waits for the apply lock: retries while another run holds it, until a deadline or a stop.
import { LockBusyError } from '../apply/lock.js';

/** How long and how to wait while another process holds the apply lock. */
export interface LockWait {
  /** How long to keep trying (0: fail at once with LockBusyError; Infinity: until `stopped`). */
  ms: number;
  /** Pause between attempts (default 250 ms). */
  retryMs?: number;
  /** Told once, at the first busy attempt. */
  onWait?: (busy: LockBusyError) => void;
  /** When it returns true, waiting ends with the last LockBusyError (a daemon shutting down). */
  stopped?: () => boolean;
}

/**
 * Runs `attempt` until it does not throw LockBusyError; any other error, or a busy lock past the deadline (or
 * once `stopped`), is thrown. Every wait for the apply lock (commands, hooks, the daemon, event writers) is this.
 */
export async function retryWhileLocked<T>(attempt: () => Promise<T>, wait: LockWait): Promise<T> {
  const deadline = Date.now() + wait.ms;
  let told = false;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof LockBusyError) || Date.now() >= deadline || wait.stopped?.()) throw err;
      if (!told) wait.onWait?.(err);
      told = true;
      await new Promise((r) => setTimeout(r, wait.retryMs ?? 250));
    }
  }
}
