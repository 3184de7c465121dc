// The normalized desired form of a workload (App or Port): what the plan compares with a running container.
import { createHash } from 'node:crypto';
import type { ObjectNames, ResourceId } from './names.js';
import { resourceId } from './names.js';
import { parseDuration, parseMemory } from './quantity.js';
import type { AppResource, PortResource, PublishedPort, Route } from './resources.js';

/** A health probe, normalized: exactly one kind. */
export type Probe =
  /** `acceptBelow`: the first status that fails (default 400; 500 for the default check of generated builds). */
  | { kind: 'http'; path: string; port: number; acceptBelow?: number }
  | { kind: 'tcp'; port: number }
  | { kind: 'command'; command: string[] };

/** A declared port as a workload carries it: `port email 1.2.0`, its data version and its hook commands. */
export interface PortHooksView {
  name: string;
  version: string;
  dataVersion: number;
  hooks: { check?: string[]; dump?: string[]; migrate?: string[]; reload?: string[]; timeout?: string };
}

export interface DesiredHealthCheck {
  probe: Probe;
  intervalMs: number;
  timeoutMs: number;
  /** Said with a failure: what the check expected (the default check names the port an app must listen on). */
  expectation?: string;
}

/** The port an App built without a Containerfile listens on, given to it as $PORT (docs/stacks.md). */
export const GENERATED_APP_PORT = 8080;

/**
 * The health check of an App built without a Containerfile that declares none: HTTP GET / on $PORT accepting any
 * status below 500 when it has routes, else a TCP connect to $PORT. It gates every deploy of such an App like a
 * declared one (issue 24: a push without one dropped requests while the new container started).
 */
export function defaultHealthCheck(hasRoutes: boolean): DesiredHealthCheck {
  const port = GENERATED_APP_PORT;
  return {
    probe: hasRoutes ? { kind: 'http', path: '/', port, acceptBelow: 500 } : { kind: 'tcp', port },
    intervalMs: 1000,
    timeoutMs: 60_000,
    expectation: `an App built without a Containerfile must listen on $PORT (${port}) on all interfaces; or declare spec.healthcheck`,
  };
}

/** How an App's image is built: from a commit of a git repository on the box. */
export interface BuildSource {
  /** Absolute path of the git repository (working copy or bare). */
  gitDir: string;
  branch: string;
  commit: string;
  /** Dockerfile path inside the context; undefined means Containerfile or Dockerfile, whichever exists. */
  dockerfile?: string;
  context: string;
  /** `spec.build.timeout` in milliseconds; absent: the box's HIY_BUILD_TIMEOUT. */
  timeoutMs?: number;
  /** The commit has no Containerfile or Dockerfile in the context: HIY generates one (src/push/stacks). */
  generated?: boolean;
}

/** A volume mount with the Podman volume name resolved. */
export interface DesiredVolume {
  name: string;
  volumeName: string;
  mountPath: string;
  readOnly: boolean;
}

/** One container HIY wants to run, fully resolved, with the hash of everything that requires a new container. */
export interface DesiredWorkload {
  id: ResourceId;
  kind: 'App' | 'Port';
  name: string;
  containerName: string;
  image: string;
  build?: BuildSource;
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  /**
   * Variables whose values come from HIY's secret store: VAR → secret name (never the value). Absent when the
   * resource has none, so the spec hash of a workload without secrets is what it always was.
   */
  secretEnv?: Record<string, string>;
  volumes: DesiredVolume[];
  ports: PublishedPort[];
  routes: Route[];
  /** Container ports published on 127.0.0.1 for Caddy and health probes (route ports and the probe port). */
  internalPorts: number[];
  healthcheck?: DesiredHealthCheck;
  restart: 'always' | 'unless-stopped' | 'on-failure' | 'no';
  memoryBytes?: number;
  cpus?: number;
  stopGraceSeconds: number;
  /** Snapshots kept per volume after a successful upgrade (not part of the hash). */
  snapshotsKept: number;
  /**
   * The port contract's side of a Port whose image declares it (set by src/ports, not part of the hash): who
   * it is and the hooks HIY runs around its deploys.
   */
  port?: PortHooksView;
  /**
   * A Port's `spec.tls.certificateFor`: the host whose certificate (held by HIY's Caddy) is mounted read-only
   * into the container, named by TLS_CERT_FILE and TLS_KEY_FILE (docs/tls.md). Absent for most workloads.
   */
  certificateFor?: string;
  /** Link name → the linked Port's resource id (`links: [port/db]` gives `db` → `port/db`). */
  links?: Record<string, string>;
  /** Another workload links to this one: it keeps a fixed address on each link's network. */
  linkTarget?: boolean;
  /** The workloads linking to it, sorted (not part of the hash: a new linker is a new network, see plan/network.ts). */
  linkedBy?: string[];
  /** sha256 (hex, 16 chars) of the container-relevant fields above; stored as a label on the container. */
  specHash: string;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** JSON with sorted keys and no undefined values: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

export interface NormalizeOptions {
  names: ObjectNames;
  /** For Apps: the resolved source (repository path and commit). */
  build?: BuildSource;
}

/** Turns a validated App or Port into its desired container form. Pure. */
export function toDesiredWorkload(
  resource: PortResource | AppResource,
  opts: NormalizeOptions,
): DesiredWorkload {
  const { spec, metadata } = resource;
  const name = metadata.name;
  const hc = spec.healthcheck;
  let healthcheck: DesiredHealthCheck | undefined;
  if (hc) {
    const probe: Probe = hc.http
      ? { kind: 'http', path: hc.http.path, port: hc.http.port }
      : hc.tcp
        ? { kind: 'tcp', port: hc.tcp.port }
        : { kind: 'command', command: hc.command ?? [] };
    healthcheck = { probe, intervalMs: parseDuration(hc.interval), timeoutMs: parseDuration(hc.timeout) };
  } else if (resource.kind === 'App' && opts.build?.generated) {
    healthcheck = defaultHealthCheck((spec.routes ?? []).length > 0);
  }
  const internal = new Set<number>((spec.routes ?? []).map((r) => r.port));
  if (healthcheck && healthcheck.probe.kind !== 'command') internal.add(healthcheck.probe.port);
  let image: string;
  if (resource.kind === 'Port') image = resource.spec.image;
  else {
    if (!opts.build) throw new Error(`App ${name} needs a resolved build source`);
    image = opts.names.image(name, opts.build.commit);
  }
  const base = {
    id: resourceId(resource.kind, name),
    kind: resource.kind,
    name,
    containerName: opts.names.container(name),
    image,
    command: spec.command,
    args: spec.args,
    env: { ...(spec.env ?? {}) },
    secretEnv: spec.secretEnv && Object.keys(spec.secretEnv).length > 0 ? { ...spec.secretEnv } : undefined,
    volumes: (spec.volumes ?? []).map((v) => ({
      name: v.name,
      volumeName: opts.names.volume(name, v.name),
      mountPath: v.mountPath,
      readOnly: v.readOnly ?? false,
    })),
    ports: (spec.ports ?? []).map((p) => ({ ...p })),
    routes: (spec.routes ?? []).map((r) => ({ ...r })),
    internalPorts: [...internal].sort((a, b) => a - b),
    healthcheck,
    restart: spec.restart,
    memoryBytes: spec.resources?.memory ? parseMemory(spec.resources.memory) : undefined,
    cpus: spec.resources?.cpus,
    stopGraceSeconds: Math.ceil(parseDuration(spec.stopGracePeriod) / 1000),
    certificateFor: resource.kind === 'Port' ? resource.spec.tls?.certificateFor : undefined,
  } satisfies Omit<DesiredWorkload, 'specHash' | 'snapshotsKept'>;
  // Routes and health checks are not part of the hash: changing a route is a Caddy change, not a new container.
  // The published internal ports are, because they are fixed when the container is created.
  const hashed = { ...base, routes: undefined, healthcheck: undefined, build: undefined };
  return { ...base, build: opts.build, snapshotsKept: spec.snapshots?.keep ?? 5, specHash: hashOf(hashed) };
}

/** The hash a pin compares: the whole resolved workload (routes, health check and source commit included). */
export function workloadHash(w: DesiredWorkload): string {
  return hashOf(w);
}
