// Prometheus metrics: reconcile durations, actions by kind and result, last success (from controller events), and
// calls to external processes and APIs (from the drivers' counter).
import type { ControllerEvent } from '../model/events.js';

/** Upper bounds (seconds) of the reconcile duration histogram: no-op runs take ms, builds take minutes. */
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The events it reads (their contract with the controller):
 * - `reconcile.finished` (success) and `reconcile.failed`, with `data.ms` (run duration in ms);
 * - `action.finished` / `action.failed` with `data.kind` (a plan action kind such as `container.replace`), or
 *   instead `data.results: [{kind, status}]` on the reconcile event.
 * Other events are ignored.
 */
export class Metrics {
  private readonly bucketCounts = BUCKETS.map(() => 0);
  private durationSum = 0;
  private durationCount = 0;
  private readonly runs = new Map<string, number>();
  private readonly actions = new Map<string, number>();
  private lastSuccess?: number;
  private readonly externalCalls: () => Record<string, number>;

  /**
   * Seeds the last success time (e.g. from the status stored before a restart); `externalCalls` reads the
   * drivers' counts of calls by target (src/drivers/externalCalls.ts) when the metrics are rendered.
   */
  constructor(lastSuccessAt?: string, externalCalls: () => Record<string, number> = () => ({})) {
    this.externalCalls = externalCalls;
    const t = lastSuccessAt ? Date.parse(lastSuccessAt) : Number.NaN;
    if (Number.isFinite(t)) this.lastSuccess = t / 1000;
  }

  observe(e: ControllerEvent): void {
    const data = e.data ?? {};
    if (e.type === 'reconcile.finished' || e.type === 'reconcile.failed') {
      const ok = e.type === 'reconcile.finished' && data.ok !== false;
      this.runs.set(ok ? 'ok' : 'failed', (this.runs.get(ok ? 'ok' : 'failed') ?? 0) + 1);
      const ms = typeof data.ms === 'number' ? data.ms : undefined;
      if (Array.isArray(data.results)) {
        for (const r of data.results as { kind?: unknown; status?: unknown }[])
          if (typeof r.kind === 'string' && (r.status === 'done' || r.status === 'failed'))
            this.countAction(r.kind, r.status);
      }
      if (ms !== undefined) {
        const s = ms / 1000;
        BUCKETS.forEach((le, i) => {
          if (s <= le) this.bucketCounts[i]!++;
        });
        this.durationSum += s;
        this.durationCount++;
      }
      if (ok) this.lastSuccess = Date.parse(e.at) / 1000;
    } else if (e.type === 'action.finished' || e.type === 'action.failed') {
      this.countAction(
        typeof data.kind === 'string' ? data.kind : 'unknown',
        e.type === 'action.finished' ? 'done' : 'failed',
      );
    }
  }

  private countAction(kind: string, result: 'done' | 'failed'): void {
    const key = `${kind}\0${result}`;
    this.actions.set(key, (this.actions.get(key) ?? 0) + 1);
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  render(): string {
    const out: string[] = [];
    out.push('# HELP hiy_reconcile_duration_seconds Duration of reconcile runs.');
    out.push('# TYPE hiy_reconcile_duration_seconds histogram');
    BUCKETS.forEach((le, i) => {
      out.push(`hiy_reconcile_duration_seconds_bucket{le="${le}"} ${this.bucketCounts[i]}`);
    });
    out.push(`hiy_reconcile_duration_seconds_bucket{le="+Inf"} ${this.durationCount}`);
    out.push(`hiy_reconcile_duration_seconds_sum ${this.durationSum}`);
    out.push(`hiy_reconcile_duration_seconds_count ${this.durationCount}`);
    out.push('# HELP hiy_reconcile_runs_total Reconcile runs by result.');
    out.push('# TYPE hiy_reconcile_runs_total counter');
    for (const result of ['ok', 'failed'])
      out.push(`hiy_reconcile_runs_total{result="${result}"} ${this.runs.get(result) ?? 0}`);
    out.push('# HELP hiy_actions_total Plan actions applied, by kind and result.');
    out.push('# TYPE hiy_actions_total counter');
    for (const [key, n] of [...this.actions.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const [kind, result] = key.split('\0') as [string, string];
      out.push(`hiy_actions_total{kind="${escapeLabel(kind)}",result="${result}"} ${n}`);
    }
    out.push(
      '# HELP hiy_last_successful_reconcile_timestamp_seconds When a reconcile last succeeded (Unix time).',
    );
    out.push('# TYPE hiy_last_successful_reconcile_timestamp_seconds gauge');
    if (this.lastSuccess !== undefined)
      out.push(`hiy_last_successful_reconcile_timestamp_seconds ${this.lastSuccess}`);
    out.push(
      '# HELP hiy_external_calls_total Calls to external processes and APIs (podman, caddy, git, restic).',
    );
    out.push('# TYPE hiy_external_calls_total counter');
    for (const [target, n] of Object.entries(this.externalCalls()).sort(([a], [b]) => a.localeCompare(b)))
      out.push(`hiy_external_calls_total{target="${escapeLabel(target)}"} ${n}`);
    return `${out.join('\n')}\n`;
  }
}
