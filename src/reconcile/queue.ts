// The coalescing queue: one run at a time; everything enqueued during a run merges into exactly one more run.
import { errorMessage } from '../model/errors.js';
import type { ReconcileOutcome, Trigger } from '../model/events.js';

/** Does one run for a batch of triggers (everything enqueued since the previous run started). */
export type RunBatch = (triggers: Trigger[]) => Promise<ReconcileOutcome>;

interface Waiter {
  resolve(outcome: ReconcileOutcome): void;
}

/**
 * One reconcile at a time. `enqueue` resolves with the outcome of the first run that starts after the call:
 * a trigger that arrives while a run is in progress never joins it (that run may already have read the state
 * repo), it waits for the next one, and all such triggers share that single next run.
 */
export class CoalescingQueue {
  private pending: Trigger[] = [];
  private waiters: Waiter[] = [];
  private loop: Promise<void> | null = null;
  private stopping = false;
  /** Runs finished since construction (for logs, tests and benches). */
  runs = 0;

  constructor(private readonly runBatch: RunBatch) {}

  /** True while a run is in progress. */
  get busy(): boolean {
    return this.loop !== null;
  }

  enqueue(trigger: Trigger): Promise<ReconcileOutcome> {
    if (this.stopping) return Promise.resolve(stoppedOutcome());
    this.pending.push(trigger);
    const done = new Promise<ReconcileOutcome>((resolve) => this.waiters.push({ resolve }));
    if (!this.loop) this.loop = this.drain();
    return done;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.stopping) {
        const triggers = this.pending;
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        let outcome: ReconcileOutcome;
        try {
          outcome = await this.runBatch(triggers);
        } catch (err) {
          outcome = { ok: false, actions: 0, error: errorMessage(err) };
        }
        this.runs++;
        for (const w of waiters) w.resolve(outcome);
      }
    } finally {
      // Cleared synchronously after the last emptiness check (no await in between), so an enqueue never
      // finds a loop that has already decided to end.
      this.loop = null;
    }
  }

  /**
   * Stops taking triggers and waits for the run in progress to finish. Triggers still waiting are answered
   * with a "stopping" outcome: nothing is lost, because the next start reconciles from scratch anyway.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    for (const w of waiters) w.resolve(stoppedOutcome());
  }
}

function stoppedOutcome(): ReconcileOutcome {
  return { ok: false, actions: 0, error: 'the daemon is stopping; the next start reconciles' };
}
