// Backoff for failing resources: a resource whose apply failed is not retried for the same desired spec until
// its delay has passed (10 s, 20 s, 40 s … capped at 10 min); a new spec retries at once. Pure.
import type { DesiredState } from '../desired/types.js';
import { LABEL_RESOURCE } from '../model/labels.js';
import { type ProxyRoute, sortRoutes } from '../model/routing.js';
import type { BackoffState } from '../model/status.js';
import { type DesiredWorkload, hashOf } from '../model/workload.js';
import type { ObservedState } from '../observed/types.js';
import { routesEqual, sortActions, summarize } from '../plan/plan.js';
import type { Action, Plan } from '../plan/types.js';

export type { BackoffState };

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 600_000 };

/**
 * Everything the state repo asks of a resource, hashed: the container spec and also routes, health check
 * and the App's source commit. Unlike the spec hash (which decides whether a container is replaced), a
 * change to any of these is a new attempt worth making at once.
 */
export function desiredFingerprint(w: DesiredWorkload): string {
  return hashOf(w);
}

/** Delay before the n-th retry (n ≥ 1 failures so far): base · 2^(n-1), capped. */
export function backoffDelayMs(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exp = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(policy.baseMs * 2 ** exp, policy.maxMs);
}

/** The state after one more failure; the count restarts when the fingerprint changed. */
export function recordFailure(
  prev: BackoffState | undefined,
  failure: { fingerprint: string; commit: string; now: Date },
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): BackoffState {
  const failures = prev && prev.fingerprint === failure.fingerprint ? prev.failures + 1 : 1;
  return {
    fingerprint: failure.fingerprint,
    failures,
    lastFailureAt: failure.now.toISOString(),
    retryAt: new Date(failure.now.getTime() + backoffDelayMs(failures, policy)).toISOString(),
    commit: failure.commit,
  };
}

/** True when the daemon must not retry this fingerprint yet. A different fingerprint is never held back. */
export function isBackedOff(state: BackoffState | undefined, fingerprint: string, now: Date): boolean {
  return (
    state !== undefined && state.fingerprint === fingerprint && now.getTime() < Date.parse(state.retryAt)
  );
}

/** A resource left out of a plan, and why. */
export interface DeferredResource {
  resource: string;
  reason: string;
  retryAt: string;
}

/**
 * The plan without the actions of the given resources (they are backing off), so that everything else
 * converges. Their routes keep pointing at what serves them now: the routes Caddy has, or — when Caddy lost
 * them (a restart) — the ports their current container publishes. Pure.
 */
export function deferResources(
  plan: Plan,
  desired: DesiredState,
  observed: ObservedState,
  deferred: ReadonlySet<string>,
): Plan {
  if (deferred.size === 0) return plan;
  const observedRoutes = observed.proxy.state?.routes ?? [];
  const keptRoutes = new Map<string, ProxyRoute[]>();
  for (const w of desired.workloads) {
    if (!deferred.has(w.id)) continue;
    keptRoutes.set(w.id, currentRoutes(w, observed, observedRoutes));
  }
  const routes = [
    ...plan.proxy.routes.filter((r) => !deferred.has(r.resource)),
    ...[...keptRoutes.values()].flat(),
  ];
  const actions: Action[] = plan.actions.filter((a) => !deferred.has(a.resource));
  // Caddy lost a deferred resource's routes (a restart): put back the ones of its current container.
  for (const [resource, kept] of keptRoutes) {
    const was = observedRoutes.filter((r) => r.resource === resource);
    if (kept.length === 0 || routesEqual(kept, was)) continue;
    actions.push({
      kind: 'route.change',
      address: `route/${resource}`,
      change: was.length > 0 ? 'update' : 'create',
      resource: resource as ProxyRoute['resource'],
      reason: `routes of the current container (${resource} is backing off)`,
      routes: kept,
      patch: [],
      before: null,
      after: sortRoutes(kept),
    });
  }
  return {
    ...plan,
    actions: sortActions(actions),
    proxy: { ...plan.proxy, routes: sortRoutes(routes) },
    summary: summarize(actions),
  };
}

function currentRoutes(w: DesiredWorkload, observed: ObservedState, inCaddy: ProxyRoute[]): ProxyRoute[] {
  const mine = inCaddy.filter((r) => r.resource === w.id);
  if (mine.length > 0) return mine;
  const container = observed.containers.find(
    (c) => c.name === w.containerName && c.labels[LABEL_RESOURCE] === w.id,
  );
  if (!container) return [];
  const out: ProxyRoute[] = [];
  for (const r of w.routes) {
    const p = container.ports.find((x) => x.containerPort === r.port && x.hostIp === '127.0.0.1');
    if (p) out.push({ resource: w.id, host: r.host, path: r.path, upstream: `127.0.0.1:${p.hostPort}` });
  }
  return out;
}
