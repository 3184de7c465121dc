// A timeline of the Podman calls one `hiy apply` makes (a wrapper around the real driver), for benchmark breakdowns.
import { performance } from 'node:perf_hooks';
import type { PodmanDriver } from '../src/drivers/podman/types.js';

/** One driver call: method, its first argument when it is a name, start and end in ms since the timeline began. */
export interface PodmanCall {
  method: string;
  arg: string;
  start: number;
  end: number;
}

export class PodmanTimeline {
  readonly calls: PodmanCall[] = [];
  readonly t0 = performance.now();

  /** The real driver, each method call recorded (never replaced: what runs is what Podman does). */
  wrap = (podman: PodmanDriver): PodmanDriver =>
    new Proxy(podman, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const start = performance.now() - this.t0;
          const call: PodmanCall = {
            method: String(prop),
            arg: typeof args[0] === 'string' ? args[0] : '',
            start,
            end: start,
          };
          this.calls.push(call);
          const done = () => {
            call.end = performance.now() - this.t0;
          };
          const r = value.apply(target, args);
          if (r instanceof Promise) return r.finally(done);
          done();
          return r;
        };
      },
    });

  /**
   * Where the time went: per method, how many calls and their summed duration (calls overlap when concurrent),
   * and `busyMs`, the time at least one podman call ran (the union of the intervals).
   */
  summary(): { busyMs: number; methods: Record<string, { calls: number; ms: number }> } {
    const methods: Record<string, { calls: number; ms: number }> = {};
    for (const c of this.calls) {
      const m = methods[c.method] ?? { calls: 0, ms: 0 };
      methods[c.method] = m;
      m.calls++;
      m.ms += c.end - c.start;
    }
    let busyMs = 0;
    let until = Number.NEGATIVE_INFINITY;
    for (const c of [...this.calls].sort((a, b) => a.start - b.start)) {
      if (c.end <= until) continue;
      busyMs += c.end - Math.max(c.start, until);
      until = c.end;
    }
    return { busyMs, methods };
  }

  /** The calls as lines, `start–end method arg`, for the log. */
  render(): string {
    return this.calls
      .map((c) => `    ${c.start.toFixed(0).padStart(6)}–${c.end.toFixed(0).padEnd(6)} ${c.method} ${c.arg}`)
      .join('\n');
  }
}
