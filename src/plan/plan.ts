// The pure planner: plan(desired, observed) → Plan. No I/O, no clock, no logger.
import fastJsonPatch from 'fast-json-patch';
import type { DesiredState } from '../desired/types.js';
import type { ContainerInfo, RunSpec } from '../model/containers.js';
import {
  LABEL_COMMIT,
  LABEL_RESOURCE,
  LABEL_SPEC_HASH,
  LABEL_VOLUME,
  ownershipLabels,
} from '../model/labels.js';
import { objectNames } from '../model/names.js';
import type { ProxyRoute, ProxyState } from '../model/routing.js';
import { sortRoutes } from '../model/routing.js';
import type { Settings } from '../model/settings.js';
import { canonicalJson, type DesiredWorkload, hashOf } from '../model/workload.js';
import type { ObservedState } from '../observed/types.js';
import { UpstreamPortAllocator } from './ports.js';
import type {
  Action,
  ContainerRef,
  Plan,
  PlanSummary,
  RetainedVolume,
  RouteChange,
  SecretUse,
} from './types.js';
import { PLAN_FORMAT_VERSION } from './types.js';

/** Label holding the container's spec as JSON (no secrets), so plans can show what changed. */
export const LABEL_SPEC = 'hiy.spec';
/** Label listing the Podman secrets a container uses (names only), so unused ones can be removed. */
export const LABEL_SECRETS = 'hiy.secrets';

export type PlanSettings = Pick<Settings, 'instance' | 'httpAddr' | 'httpsAddr' | 'tls' | 'upstreamPorts'> &
  Partial<Pick<Settings, 'dashboardHost' | 'apiAddr'>>;

/** The resource id the dashboard's route carries in Caddy (it belongs to HIY itself, not to an App or Port). */
export const DASHBOARD_ROUTE_RESOURCE = 'hiy/dashboard' as ProxyRoute['resource'];

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

export interface PlanInput {
  desired: DesiredState;
  observed: ObservedState;
  observedFingerprint: string;
  settings: PlanSettings;
  /**
   * Salted digests of the secrets the workloads use, by secret name (never values). A secret without a digest
   * plans as changed; engine.computePlan refuses to plan when one is not set.
   */
  secretDigests?: Record<string, string>;
}

/** The Podman secret holding one variable's value: named after the container, the variable and the digest. */
export function podmanSecretName(containerName: string, env: string, digest: string): string {
  return `${containerName}.${env}.${digest.slice(0, 16)}`;
}

function secretUses(w: DesiredWorkload, digests: Record<string, string>): SecretUse[] {
  return Object.keys(w.secretEnv ?? {})
    .sort()
    .map((env) => {
      const ref = w.secretEnv![env]!;
      const digest = digests[ref] ?? 'unset';
      return { name: podmanSecretName(w.containerName, env, digest), env, ref, digest };
    });
}

/** The part of a workload that decides its container, as shown in plans and kept in the hiy.spec label. */
export function containerSpecView(w: DesiredWorkload, secrets: SecretUse[] = []): Record<string, unknown> {
  // Keys in sorted order and no undefined values, so canonicalJson of it is cheap and stable.
  const view: Record<string, unknown> = {};
  if (w.args) view.args = w.args;
  if (w.command) view.command = w.command;
  if (w.cpus !== undefined) view.cpus = w.cpus;
  view.env = sortedRecord(w.env);
  view.image = w.image;
  view.internalPorts = w.internalPorts;
  if (w.memoryBytes !== undefined) view.memoryBytes = w.memoryBytes;
  view.ports = w.ports.map((p) =>
    p.hostIP === undefined
      ? { containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol }
      : { containerPort: p.containerPort, hostIP: p.hostIP, hostPort: p.hostPort, protocol: p.protocol },
  );
  view.restart = w.restart;
  // Only salted digests: a plan shows that a secret changed, never its value.
  if (secrets.length > 0)
    view.secretEnv = Object.fromEntries(secrets.map((s) => [s.env, `hmac:${s.digest}`]));
  view.stopGraceSeconds = w.stopGraceSeconds;
  view.volumes = w.volumes.map((v) => ({
    mountPath: v.mountPath,
    readOnly: v.readOnly,
    volume: v.volumeName,
  }));
  return view;
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}

/** Drops undefined values from a flat object, so a plan is plain JSON without a deep copy. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function observedSpecView(c: ContainerInfo): Record<string, unknown> | null {
  const text = c.labels[LABEL_SPEC];
  if (!text) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function diff(before: unknown, after: unknown): fastJsonPatch.Operation[] {
  if (before === null || after === null || typeof before !== 'object' || typeof after !== 'object') return [];
  return fastJsonPatch.compare(before as object, after as object);
}

/** Names the changed fields of a patch for a reason line: `env.GREETING, image`. */
function changedFields(patch: fastJsonPatch.Operation[]): string {
  const fields = [...new Set(patch.map((op) => op.path.slice(1).split('/').slice(0, 2).join('.')))];
  return fields.length > 0 ? fields.join(', ') : 'spec';
}

function toRef(c: ContainerInfo): ContainerRef {
  const grace = Number(c.labels['hiy.stop-timeout'] ?? '10');
  return { name: c.name, id: c.id, stopTimeoutSeconds: Number.isFinite(grace) ? grace : 10 };
}

function isRunning(c: ContainerInfo): boolean {
  return c.state === 'running';
}

function desiredProxyState(settings: PlanSettings, routes: ProxyRoute[]): ProxyState {
  const server = objectNames(settings.instance).caddyServer;
  if (settings.tls === 'off')
    return { server, listen: [settings.httpAddr], tls: 'off', routes: sortRoutes(routes) };
  return {
    server,
    listen: [settings.httpsAddr],
    redirectListen: [settings.httpAddr],
    tls: settings.tls,
    routes: sortRoutes(routes),
  };
}

function routeKey(r: ProxyRoute): string {
  return `${r.host}\u0000${r.path}\u0000${r.upstream}`;
}

/** Same routes, in any order. */
export function routesEqual(a: ProxyRoute[], b: ProxyRoute[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(routeKey));
  return b.every((r) => keys.has(routeKey(r)));
}

const PHASE: Record<Action['kind'], number> = {
  'volume.create': 0,
  'image.build': 1,
  'container.replace': 2,
  'container.create': 2,
  'container.start': 2,
  'route.change': 3,
  'container.delete': 4,
};

/**
 * Computes the actions that turn `observed` into `desired`. Pure and deterministic: the same inputs give
 * the same plan. Volumes are never deleted here; volumes nothing uses any more are listed as retained.
 */
export function plan(input: PlanInput): Plan {
  const { desired, observed, settings } = input;
  const owner = ownershipLabels(settings.instance);
  const actions: Action[] = [];
  const retained: RetainedVolume[] = [];
  const byResource = new Map<string, ContainerInfo[]>();
  for (const c of observed.containers) {
    const id = c.labels[LABEL_RESOURCE] ?? '';
    byResource.set(id, [...(byResource.get(id) ?? []), c]);
  }
  const volumesByName = new Map(observed.volumes.map((v) => [v.name, v]));
  const allocator = new UpstreamPortAllocator(
    settings.upstreamPorts,
    observed.containers,
    desired.workloads,
    observed.portsInUse,
    settings.instance,
  );
  const desiredIds = new Set(desired.workloads.map((w) => w.id));
  const wantedVolumes = new Set<string>();
  const routes: ProxyRoute[] = [];

  for (const w of desired.workloads) {
    const mine = byResource.get(w.id) ?? [];
    const current = mine.find((c) => c.name === w.containerName);
    for (const stray of mine) {
      if (stray === current) continue;
      actions.push({
        kind: 'container.delete',
        address: `container/${stray.name}`,
        change: 'delete',
        resource: w.id,
        reason: `stray container of ${w.id} (not named ${w.containerName})`,
        container: toRef(stray),
        patch: [],
        before: observedSpecView(stray),
        after: null,
      });
    }

    for (const v of w.volumes) {
      wantedVolumes.add(v.volumeName);
      if (volumesByName.has(v.volumeName)) continue;
      actions.push({
        kind: 'volume.create',
        address: `volume/${v.volumeName}`,
        change: 'create',
        resource: w.id,
        reason: `volume ${v.name} of ${w.id} does not exist`,
        volume: { name: v.volumeName, labels: { ...owner, [LABEL_RESOURCE]: w.id, [LABEL_VOLUME]: v.name } },
        patch: [],
        before: null,
        after: { name: v.volumeName },
      });
    }

    const secrets = secretUses(w, input.secretDigests ?? {});
    // A secret's digest joins the hash only when there are secrets, so other workloads keep their hashes.
    const specHash =
      secrets.length > 0
        ? hashOf({ spec: w.specHash, secrets: secrets.map((s) => [s.env, s.digest]) })
        : w.specHash;
    const replacing = current !== undefined && current.labels[LABEL_SPEC_HASH] !== specHash;
    // Start-first needs no shared writer (volumes) and no fixed host port; it takes fresh upstream ports.
    const startFirst = replacing && w.volumes.length === 0 && w.ports.length === 0;
    const upstream = new Map<number, number>();
    for (const p of w.internalPorts)
      upstream.set(p, allocator.allocate(w, p, startFirst ? undefined : current));
    for (const r of w.routes) {
      routes.push({
        resource: w.id,
        host: r.host,
        path: r.path,
        upstream: `127.0.0.1:${upstream.get(r.port)}`,
      });
    }

    const view = containerSpecView(w, secrets);
    const run: RunSpec = compact({
      // '_' never appears in a resource name (a DNS label), so this name cannot be another resource's container.
      name: startFirst ? `${w.containerName}_next` : w.containerName,
      image: w.image,
      labels: {
        ...owner,
        [LABEL_RESOURCE]: w.id,
        [LABEL_SPEC_HASH]: specHash,
        [LABEL_SPEC]: JSON.stringify(view),
        ...(secrets.length > 0 ? { [LABEL_SECRETS]: secrets.map((s) => s.name).join(',') } : {}),
        'hiy.stop-timeout': String(w.stopGraceSeconds),
        ...(w.build ? { [LABEL_COMMIT]: w.build.commit } : {}),
      },
      env: w.env,
      secretEnv: secrets.length > 0 ? secrets.map((s) => ({ env: s.env, secret: s.name })) : undefined,
      entrypoint: w.command,
      args: w.args,
      volumes: w.volumes.map((v) => ({ source: v.volumeName, target: v.mountPath, readOnly: v.readOnly })),
      publish: [
        ...w.ports.map((p) =>
          compact({
            hostIp: p.hostIP,
            hostPort: p.hostPort,
            containerPort: p.containerPort,
            protocol: p.protocol,
          }),
        ),
        ...w.internalPorts.map((p) => ({
          hostIp: '127.0.0.1',
          hostPort: upstream.get(p)!,
          containerPort: p,
          protocol: 'tcp' as const,
        })),
      ],
      restart: w.restart,
      memoryBytes: w.memoryBytes,
      cpus: w.cpus,
      stopTimeoutSeconds: w.stopGraceSeconds,
    });

    const needsContainer = !current || current.labels[LABEL_SPEC_HASH] !== specHash;
    if (needsContainer && w.build) {
      actions.push({
        kind: 'image.build',
        address: `image/${w.image}`,
        change: 'create',
        resource: w.id,
        reason: `source ${w.build.branch} is at ${w.build.commit.slice(0, 12)}`,
        source: compact({ ...w.build }),
        image: compact({
          tag: w.image,
          labels: { ...owner, [LABEL_RESOURCE]: w.id, [LABEL_COMMIT]: w.build.commit },
          context: w.build.context,
          dockerfile: w.build.dockerfile,
          memoryBytes: w.memoryBytes,
          cpus: w.cpus,
        }),
        patch: [],
        before: null,
        after: { image: w.image, commit: w.build.commit },
      });
    }
    if (!current) {
      actions.push({
        kind: 'container.create',
        address: `container/${w.containerName}`,
        change: 'create',
        resource: w.id,
        reason: `${w.id} has no container`,
        run,
        ...(secrets.length > 0 ? { secrets } : {}),
        ...(w.healthcheck ? { healthcheck: w.healthcheck } : {}),
        patch: [],
        before: null,
        after: view,
      });
    } else if (replacing) {
      const before = observedSpecView(current);
      const patch = diff(before, view);
      actions.push({
        kind: 'container.replace',
        address: `container/${w.containerName}`,
        change: 'replace',
        resource: w.id,
        reason: `${before ? `changed: ${changedFields(patch)}` : 'spec hash changed'}${startFirst ? ' (new one starts first)' : ''}`,
        strategy: startFirst ? 'start-first' : 'stop-first',
        finalName: w.containerName,
        run,
        ...(secrets.length > 0 ? { secrets } : {}),
        ...(w.healthcheck ? { healthcheck: w.healthcheck } : {}),
        previous: toRef(current),
        volumes: w.volumes.map((v) => v.volumeName),
        keepSnapshots: w.snapshotsKept,
        patch,
        before,
        after: view,
      });
    } else if (!isRunning(current)) {
      actions.push({
        kind: 'container.start',
        address: `container/${w.containerName}`,
        change: 'update',
        resource: w.id,
        reason: `container is ${current.state}; start it`,
        container: toRef(current),
        run,
        ...(w.healthcheck ? { healthcheck: w.healthcheck } : {}),
        patch: [{ op: 'replace', path: '/state', value: 'running' }],
        before: { state: current.state },
        after: { state: 'running' },
      });
    }
  }

  for (const [id, containers] of [...byResource.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (desiredIds.has(id as DesiredWorkload['id'])) continue;
    for (const c of containers) {
      actions.push({
        kind: 'container.delete',
        address: `container/${c.name}`,
        change: 'delete',
        resource: (id || 'caddy') as Action['resource'],
        reason: `${id || c.name} is no longer in the state repo`,
        container: toRef(c),
        patch: [],
        before: observedSpecView(c),
        after: null,
      });
    }
  }

  for (const v of observed.volumes) {
    if (wantedVolumes.has(v.name)) continue;
    const resource = v.labels[LABEL_RESOURCE] ?? 'unknown';
    retained.push({
      name: v.name,
      resource,
      reason: desiredIds.has(resource as DesiredWorkload['id'])
        ? `no longer mounted by ${resource}; kept (delete it explicitly to free the space)`
        : `${resource} was removed from the state repo; its data is kept`,
    });
  }

  const managed = new Set([...byResource.keys()].filter(Boolean));
  const removing = [...managed].filter((id) => !desiredIds.has(id as DesiredWorkload['id'])).sort();
  const massDelete =
    removing.length > 0 && removing.length * 2 > managed.size
      ? { removing, managed: managed.size }
      : undefined;

  const dashboard = dashboardRoute(settings);
  if (dashboard) routes.push(dashboard);
  const proxy = desiredProxyState(settings, routes);
  actions.push(...routeActions(proxy, observed));
  sortActions(actions);
  retained.sort((a, b) => a.name.localeCompare(b.name));

  return {
    formatVersion: PLAN_FORMAT_VERSION,
    instance: settings.instance,
    repo: desired.repo,
    branch: desired.branch,
    commit: desired.commit,
    observedFingerprint: input.observedFingerprint,
    actions,
    retained,
    ...(massDelete ? { massDelete } : {}),
    proxy,
    summary: summarize(actions),
  };
}

function routeActions(proxy: ProxyState, observed: ObservedState): RouteChange[] {
  const out: RouteChange[] = [];
  const group = (routes: ProxyRoute[]) => {
    const m = new Map<ProxyRoute['resource'], ProxyRoute[]>();
    for (const r of routes) m.set(r.resource, [...(m.get(r.resource) ?? []), r]);
    return m;
  };
  const beforeBy = group(observed.proxy.state?.routes ?? []);
  const nowBy = group(proxy.routes);
  const resources = new Set([...beforeBy.keys(), ...nowBy.keys()]);
  for (const resource of [...resources].sort()) {
    const was = beforeBy.get(resource) ?? [];
    const now = nowBy.get(resource) ?? [];
    if (routesEqual(was, now)) continue;
    const change = was.length === 0 ? 'create' : now.length === 0 ? 'delete' : 'update';
    out.push({
      kind: 'route.change',
      address: `route/${resource}`,
      change,
      resource,
      reason:
        change === 'create'
          ? `${now.map((r) => r.host + r.path).join(', ')} not routed yet`
          : change === 'delete'
            ? `${resource} no longer has routes`
            : 'routes changed',
      routes: now,
      patch: diff({ routes: sortRoutes(was) }, { routes: sortRoutes(now) }),
      before: was.length ? sortRoutes(was) : null,
      after: now.length ? sortRoutes(now) : null,
    });
  }
  const serverView = (s: ProxyState | undefined) =>
    s ? compact({ listen: s.listen, redirectListen: s.redirectListen, tls: s.tls }) : null;
  const wantServer = proxy.routes.length > 0 || observed.proxy.present;
  const was = serverView(observed.proxy.state);
  const now = serverView(proxy);
  let reason: string | undefined;
  if (wantServer && !observed.proxy.present) reason = `HIY's Caddy server ${proxy.server} does not exist`;
  else if (wantServer && canonicalJson(was) !== canonicalJson(now))
    reason = 'listen addresses or TLS mode changed';
  else if (observed.proxy.present && !observed.proxy.pristine)
    reason = `HIY's Caddy server was edited outside HIY`;
  if (reason) {
    out.push({
      kind: 'route.change',
      address: `caddy/${proxy.server}`,
      change: observed.proxy.present ? 'update' : 'create',
      resource: 'caddy',
      reason,
      routes: [],
      patch: diff(was ?? {}, now),
      before: was,
      after: now,
    });
  }
  return out;
}

/** Puts actions in apply order: by phase (volumes, builds, containers, routes, removals), then by address. */
export function sortActions(actions: Action[]): Action[] {
  return actions.sort((a, b) => PHASE[a.kind] - PHASE[b.kind] || a.address.localeCompare(b.address));
}

export function summarize(actions: Action[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const a of actions) s[a.change]++;
  return s;
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
    summary: summarize(actions),
  };
}
