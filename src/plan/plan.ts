// The pure planner: plan(desired, observed, history) → Plan. No I/O, no clock, no logger.
import type { DesiredState } from '../desired/types.js';
import { ownershipLabels } from '../model/labels.js';
import { instanceNetwork } from '../model/names.js';
import {
  DASHBOARD_ROUTE_RESOURCE,
  type HostCertificate,
  type ProxyRoute,
  type ProxyState,
  sortRoutes,
} from '../model/routing.js';
import type { Settings } from '../model/settings.js';
import type { Pin, ServedCertificate } from '../model/status.js';
import type { DesiredWorkload } from '../model/workload.js';
import type { ObservedState } from '../observed/types.js';
import { type BackoffHistory, backingOff, deferResources } from './backoff.js';
import { sortActions, summarize } from './order.js';
import { applyPins } from './pins.js';
import { UpstreamPortAllocator } from './ports.js';
import { containersByResource, massDeleteOf, removedContainers, retainedVolumes } from './removals.js';
import { desiredProxyState, routeActions } from './routes.js';
import type { Action, Plan, SecretWrite } from './types.js';
import { PLAN_FORMAT_VERSION } from './types.js';
import { type PlanRestore, planWorkload } from './workloads.js';

export type { BackoffHistory } from './backoff.js';
export { containerSpecView, LABEL_SECRETS, LABEL_SPEC, podmanSecretName } from './containerSpec.js';
export { sortActions, summarize } from './order.js';
export { routesEqual } from './routes.js';
export type { PlanRestore } from './workloads.js';

export type PlanSettings = Pick<Settings, 'instance' | 'httpAddr' | 'httpsAddr' | 'tls' | 'upstreamPorts'> &
  Partial<Pick<Settings, 'dashboardHost' | 'apiAddr' | 'dataDir'>>;

export { DASHBOARD_ROUTE_RESOURCE };

/**
 * The route publishing the dashboard at HIY_DASHBOARD_HOST: to the daemon's API address, with a wildcard listen
 * address (`:7070`, `0.0.0.0:7070`, `[::]:7070`) reached on loopback. Undefined when no host is set.
 */
export function dashboardRoute(settings: PlanSettings): ProxyRoute | undefined {
  if (!settings.dashboardHost || !settings.apiAddr) return undefined;
  const upstream = settings.apiAddr
    .replace(/^:/, '127.0.0.1:')
    .replace(/^0\.0\.0\.0:/, '127.0.0.1:')
    .replace(/^\[::\]:/, '[::1]:');
  return { resource: DASHBOARD_ROUTE_RESOURCE, host: settings.dashboardHost, path: '/', upstream };
}

/**
 * What HIY remembers between runs that changes a plan, read once by the engine (src/engine) before planning.
 * Every part is optional: an empty history plans the state repo as it is.
 */
export interface PlanHistory {
  /** Resources held at a release by `hiy rollback` (DATA_DIR/pins.json), by resource id. */
  pins?: Record<string, Pin>;
  /**
   * Salted digests of the secrets the workloads use, by secret name (never values). A secret without a digest
   * plans as changed; the engine refuses to plan when one is not set.
   */
  secretDigests?: Record<string, string>;
  /**
   * Resources that failed before, and the clock value to judge their retry time by. When set, resources still
   * backing off are left out of the plan (the daemon); when absent every resource is planned (`hiy apply`).
   */
  backoff?: BackoffHistory;
  /**
   * Whether the instance's networks are judged (the engine always says so): a container not on exactly its
   * own network and its links' ones is replaced; absent (an apply without networks), they are not judged.
   */
  networks?: boolean;
  /**
   * The certificate Caddy holds for each host a Port asks for (`spec.tls.certificateFor`), by host; a host
   * without one (not issued yet) plans the Port without it, and the next plan after issuance replaces it (the
   * folder is mounted then); a renewal replaces it too, or reloads it when its port declares a reload hook.
   */
  hostCertificates?: Readonly<Record<string, HostCertificate>>;
  /**
   * By resource id, the certificate its running container was last told to reload (status.json): a Port whose
   * port declares a reload hook is planned a `certificate.reload` when Caddy holds another one.
   */
  servedCertificates?: Readonly<Record<string, ServedCertificate>>;
  /** Secrets apply writes before its actions (generated and linked values), shown by the plan; never values. */
  secrets?: SecretWrite[];
  /**
   * The data version each volume holds (DATA_DIR/data-versions.json), by volume name: a port's replace records
   * it in its snapshots and migrates from it when the new image keeps a higher one.
   */
  dataVersions?: Readonly<Record<string, number>>;
}

/**
 * What the person planning asks for beyond the state, never remembered (Terraform's `-replace`): the planner
 * alone turns it into actions, so nothing edits a plan after it is made.
 */
export interface PlanRequest {
  /** Resources whose container is replaced although nothing changed (`hiy restart`), reason `restart`. */
  replace?: readonly string[];
  /** Who asked, for the reason (`restart requested by alice`). */
  actor?: string;
  /** `hiy rollback --with-data`: by resource, the snapshots its replace restores and their data version. */
  restore?: Readonly<Record<string, PlanRestore>>;
}

export interface PlanInput {
  /** The state repo's desired state, as it is: pins from `history` are applied by the planner. */
  desired: DesiredState;
  observed: ObservedState;
  /** Fingerprint of `observed` (see fingerprintObserved), recorded in the plan for saved plans. */
  observedFingerprint: string;
  settings: PlanSettings;
  history?: PlanHistory;
  request?: PlanRequest;
}

/** The desired state a plan is computed from: the state repo's, with pinned resources' releases swapped in. */
export function pinnedDesired(desired: DesiredState, history: PlanHistory = {}): DesiredState {
  return applyPins(desired, history.pins ?? {}).desired;
}

/**
 * Computes the actions that turn `observed` into `desired`, given `history`: pinned resources keep their
 * release, resources backing off are left out (their current container keeps serving). Pure and deterministic:
 * the same inputs give the same plan, and the plan is exactly what apply executes. Volumes are never deleted
 * here; volumes nothing uses any more are listed as retained.
 */
export function plan(input: PlanInput): Plan {
  const history = input.history ?? {};
  const { desired, effects } = applyPins(input.desired, history.pins ?? {});
  const full = planDesired({ ...input, desired }, history.secretDigests ?? {});
  const deferred = backingOff(desired, full, history.backoff);
  const narrowed = deferResources(full, desired, input.observed, new Set(deferred.map((d) => d.resource)));
  const { summary, ...rest } = narrowed;
  return {
    ...rest,
    ...(effects.length > 0 ? { pins: effects } : {}),
    ...(deferred.length > 0 ? { deferred } : {}),
    ...(history.secrets?.length ? { secrets: history.secrets } : {}),
    summary,
  };
}

/** Every workload's part, then removals, then the routes of the whole Caddy state. */
function planDesired(input: PlanInput, secretDigests: Record<string, string>): Plan {
  const { desired, observed, settings } = input;
  const owner = ownershipLabels(settings.instance);
  const byResource = containersByResource(observed.containers);
  const existingVolumes = new Set(observed.volumes.map((v) => v.name));
  const allocator = new UpstreamPortAllocator(
    settings.upstreamPorts,
    observed.containers,
    desired.workloads,
    observed.portsInUse,
    settings.instance,
  );
  const desiredIds = new Set<string>(desired.workloads.map((w) => w.id));
  const actions: Action[] = [];
  const routes: ProxyRoute[] = [];
  const request = input.request ?? {};
  const replace = new Set(request.replace ?? []);
  const held = input.history?.dataVersions ?? {};
  for (const w of desired.workloads) {
    const versions = w.volumes.flatMap((v) => held[v.volumeName] ?? []);
    const restore = request.restore?.[w.id];
    const part = planWorkload(w, {
      owner,
      containers: byResource.get(w.id) ?? [],
      volumes: existingVolumes,
      allocator,
      secretDigests,
      hostCertificates: input.history?.hostCertificates ?? {},
      servedCertificate: input.history?.servedCertificates?.[w.id],
      ...(input.history?.networks && { network: { prefix: instanceNetwork(settings.instance) } }),
      ...(replace.has(w.id) && {
        forceReplace: `restart${request.actor ? ` requested by ${request.actor}` : ''}`,
      }),
      ...(versions.length > 0 && { dataVersion: Math.max(...versions) }),
      ...(restore && { restore }),
    });
    actions.push(...part.actions);
    routes.push(...part.routes);
  }
  actions.push(...removedContainers(byResource, desiredIds));
  const wantedVolumes = new Set(desired.workloads.flatMap((w) => w.volumes.map((v) => v.volumeName)));
  const massDelete = massDeleteOf(byResource, desiredIds);
  if (settings.tls !== 'off') routes.push(...certificateRoutes(desired.workloads, routes));
  const dashboard = dashboardRoute(settings);
  if (dashboard) routes.push(dashboard);
  const proxy = desiredProxyState(settings, routes);
  actions.push(...routeActions(proxy, observed));
  sortActions(actions);
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    instance: settings.instance,
    repo: desired.repo,
    branch: desired.branch,
    commit: desired.commit,
    observedFingerprint: input.observedFingerprint,
    actions,
    retained: retainedVolumes(observed.volumes, wantedVolumes, desiredIds),
    ...(massDelete ? { massDelete } : {}),
    proxy,
    summary: summarize(actions),
  };
}

/**
 * A route without upstream for each host a Port asks the certificate of (`spec.tls.certificateFor`) that no
 * route serves: Caddy manages certificates for the hosts of its routes, so this makes it get and renew one.
 */
function certificateRoutes(workloads: readonly DesiredWorkload[], routes: ProxyRoute[]): ProxyRoute[] {
  const routed = new Set(routes.map((r) => r.host));
  const out: ProxyRoute[] = [];
  for (const w of workloads) {
    if (!w.certificateFor || routed.has(w.certificateFor)) continue;
    routed.add(w.certificateFor);
    out.push({ resource: w.id, host: w.certificateFor, path: '/', upstream: '' });
  }
  return out;
}

/** True when the plan changes nothing. */
export function isEmptyPlan(p: Plan): boolean {
  return p.actions.length === 0;
}

/**
 * Narrows a plan to one resource (what `hiy rollback` applies): its actions only, and a Caddy state where only
 * that resource's routes change — other resources' pending changes stay pending. Pure.
 */
export function scopePlan(p: Plan, resource: string, observedProxy: ProxyState | undefined): Plan {
  const actions = p.actions.filter((a) => a.resource === resource);
  const proxy: ProxyState = observedProxy
    ? {
        ...p.proxy,
        routes: sortRoutes([
          ...observedProxy.routes.filter((r) => r.resource !== resource),
          ...p.proxy.routes.filter((r) => r.resource === resource),
        ]),
      }
    : p.proxy;
  const { massDelete: _ignored, ...rest } = p;
  return {
    ...rest,
    actions,
    retained: [],
    proxy,
    pins: p.pins?.filter((x) => x.resource === resource),
    ...(p.deferred ? { deferred: p.deferred.filter((d) => d.resource === resource) } : {}),
    summary: summarize(actions),
  };
}
