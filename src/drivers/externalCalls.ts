// Counts every call HIY makes to an external process or API, by target; the daemon's /metrics shows the totals.

/** What an external call went to: a process (podman, git, restic) or an API (Caddy's admin API). */
export type ExternalTarget = 'podman' | 'caddy' | 'git' | 'restic';

/**
 * One counter per process, built by the composition root and given to every driver, which counts at its one
 * place where it starts a process or sends a request (a retried request counts once).
 */
export class ExternalCalls {
  private readonly counts = new Map<ExternalTarget, number>();

  count(target: ExternalTarget): void {
    this.counts.set(target, (this.counts.get(target) ?? 0) + 1);
  }

  /** Calls to one target so far. */
  of(target: ExternalTarget): number {
    return this.counts.get(target) ?? 0;
  }

  /** Calls to every target so far (targets never called are 0). */
  totals(): Record<ExternalTarget, number> {
    return {
      podman: this.of('podman'),
      caddy: this.of('caddy'),
      git: this.of('git'),
      restic: this.of('restic'),
    };
  }

  /** Calls to all targets so far. */
  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
}
