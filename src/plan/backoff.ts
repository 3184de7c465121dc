// Backoff in a plan: a resource whose apply failed for the same desired spec is left out until its retry time,
// and keeps being served by what serves it now. `now` is data given by the caller: the planner has no clock. Pure.
import type { DesiredState } from '../desired/types.js';
import { LABEL_RESOURCE } from '../model/labels.js';
import { type ProxyRoute, sortRoutes } from '../model/routing.js';
import type { BackoffState } from '../model/status.js';
import { type DesiredWorkload, hashOf } from '../model/workload.js';
import type { ObservedState } from '../observed/types.js';
import { sortActions, summarize } from './order.js';
import { routesEqual } from './routes.js';
import type { Action, DeferredNote, Plan } from './types.js';

/** The resources that failed before (their BackoffState from status.json), and the time to judge them at. */
export interface BackoffHistory {
  now: Date;
  resources: Record<string, BackoffState>;
}

/**
 * Everything the state repo asks of a resource, hashed: the container spec and also routes, health check
 * and the App's source commit. Unlike the spec hash (which decides whether a container is replaced), a
 * change to any of these is a new attempt worth making at once.
 */
export function desiredFingerprint(w: DesiredWorkload): string {
  return hashOf(w);
}

/** True when this fingerprint must not be retried yet. A different fingerprint is never held back. */
export function isBackedOff(state: BackoffState | undefined, fingerprint: string, now: Date): boolean {
  return (
    state !== undefined && state.fingerprint === fingerprint && now.getTime() < Date.parse(state.retryAt)
  );
}

/**
 * The resources of `plan` to leave out: those with actions whose last apply failed for the same desired spec
 * and whose retry time has not come. A resource with nothing to do is never deferred.
 */
export function backingOff(
  desired: DesiredState,
  plan: Plan,
  backoff: BackoffHistory | undefined,
): DeferredNote[] {
  if (!backoff) return [];
  const withActions = new Set(plan.actions.map((a) => a.resource as string));
  const out: DeferredNote[] = [];
  for (const w of desired.workloads) {
    const b = backoff.resources[w.id];
    if (!b || !withActions.has(w.id) || !isBackedOff(b, desiredFingerprint(w), backoff.now)) continue;
    out.push({
      resource: w.id,
      reason: `apply failed ${b.failures} time(s) for this spec (last at commit ${b.commit.slice(0, 12)}); next retry at ${b.retryAt}`,
      backoff: b,
    });
  }
  return out;
}

/**
 * The plan without the actions of the given resources (they are backing off), so that everything else
 * converges. Their routes keep pointing at what serves them now: the routes Caddy has, or — when Caddy lost
 * them (a restart) — the ports their current container publishes.
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
