// A small real Controller for tests of the HTTP API: each enqueue runs plan + apply under the apply lock, one at
// a time (no coalescing, no triggers: that is the daemon's), and emits the events the API and metrics read.

import { applyAndRecord, computePlan, type Engine, withApplyLock } from '../../src/engine/engine.js';
import type { Controller, ControllerEvent, ReconcileOutcome, Trigger } from '../../src/model/events.js';

export class TestController implements Controller {
  private seq = 0;
  private readonly listeners = new Set<(e: ControllerEvent) => void>();
  private chain: Promise<unknown> = Promise.resolve();
  /** Every trigger enqueued, in order. */
  readonly triggers: Trigger[] = [];

  constructor(private readonly engine: Engine) {}

  enqueue(trigger: Trigger): Promise<ReconcileOutcome> {
    this.triggers.push(trigger);
    const run = this.chain.then(() => this.run(trigger));
    this.chain = run.catch(() => undefined);
    return run;
  }

  subscribe(listener: (event: ControllerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(
    type: string,
    message: string,
    extra: { resource?: string; data?: Record<string, unknown> } = {},
  ): void {
    const e: ControllerEvent = { seq: ++this.seq, at: new Date().toISOString(), type, message, ...extra };
    for (const l of this.listeners) l(e);
  }

  private async run(trigger: Trigger): Promise<ReconcileOutcome> {
    const start = Date.now();
    this.emit('reconcile.started', `reconcile (${trigger.kind})`, { data: { trigger: trigger.kind } });
    let outcome: ReconcileOutcome;
    try {
      outcome = await withApplyLock(this.engine, async () => {
        const planned = await computePlan(this.engine, { forApply: true });
        const result = await applyAndRecord(this.engine, planned, (e) => {
          if (e.type === 'action.finished' || e.type === 'action.failed') {
            this.emit(e.type, `${e.action.address} ${e.type === 'action.finished' ? 'done' : 'failed'}`, {
              resource: e.action.resource,
              data: { kind: e.action.kind, address: e.action.address },
            });
          }
        });
        return {
          ok: result.ok,
          commit: planned.plan.commit,
          actions: planned.plan.actions.length,
          ...(result.ok ? {} : { error: result.results.find((r) => r.error)?.error ?? 'apply failed' }),
        };
      });
    } catch (err) {
      outcome = { ok: false, actions: 0, error: (err as Error).message };
    }
    // The daemon's contract: reconcile.finished or reconcile.failed, with the duration in data.ms.
    this.emit(
      outcome.ok ? 'reconcile.finished' : 'reconcile.failed',
      outcome.ok ? 'reconcile succeeded' : `reconcile failed: ${outcome.error}`,
      {
        data: {
          ok: outcome.ok,
          ms: Date.now() - start,
          commit: outcome.commit,
          actions: outcome.actions,
          triggers: [trigger.kind],
        },
      },
    );
    return outcome;
  }
}
