// The plan of one desired workload: its volumes, image build, container (create, replace, start) and routes. Pure.
import type { ContainerInfo, RunSpec } from '../model/containers.js';
import {
  LABEL_COMMIT,
  LABEL_RESOURCE,
  LABEL_SPEC_HASH,
  LABEL_STOP_TIMEOUT,
  LABEL_VOLUME,
} from '../model/labels.js';
import { hookTimeoutMs } from '../model/portContract.js';
import { CERTIFICATE_MOUNT_PATH, type HostCertificate, type ProxyRoute } from '../model/routing.js';
import type { ServedCertificate } from '../model/status.js';
import { type DesiredWorkload, hashOf } from '../model/workload.js';
import { type CertificateUse, certificateReload, certificateUse } from './certificates.js';
import {
  changedFields,
  compact,
  containerSpecView,
  diff,
  LABEL_SECRETS,
  LABEL_SPEC,
  observedSpecView,
  secretUses,
  toRef,
} from './containerSpec.js';
import { type NetworkContext, networkDrift } from './network.js';
import type { UpstreamPortAllocator } from './ports.js';
import type { Action, ContainerReplace, HookRef, SecretUse } from './types.js';

/** What planning one workload needs to know besides the workload. */
export interface WorkloadContext {
  /** The ownership labels of this instance (managed-by, instance). */
  owner: Record<string, string>;
  /** The observed containers labelled with this workload's resource id. */
  containers: ContainerInfo[];
  /** Names of the volumes that exist. */
  volumes: ReadonlySet<string>;
  /** Shared by every workload of the plan, called in the order of the desired workloads. */
  allocator: UpstreamPortAllocator;
  /** Salted digests of the secrets, by secret name. */
  secretDigests: Record<string, string>;
  /** The certificates Caddy holds, by host (for a Port's `tls.certificateFor`). */
  hostCertificates?: Readonly<Record<string, HostCertificate>>;
  /** The certificate this workload's running container was last told to reload (status), if any. */
  servedCertificate?: ServedCertificate;
  /** The instance network every workload must be on; absent: not judged. */
  network?: NetworkContext;
  /** Replace the container although nothing changed (`hiy restart`, Terraform's `-replace`): the reason. */
  forceReplace?: string;
  /** The data version the workload's volumes hold (data-versions.json), when any is recorded. */
  dataVersion?: number;
  /** `hiy rollback --with-data`: the snapshots restored into its volumes, and the data version they hold. */
  restore?: PlanRestore;
}

/** Snapshots a replace restores into the resource's volumes before its new container starts. */
export interface PlanRestore {
  data: readonly { volume: string; snapshot: string }[];
  /** The data version the snapshots hold (their manifests'), when recorded. */
  dataVersion?: number;
}

/** One workload's actions (unordered) and the routes it wants in Caddy. */
export interface WorkloadPlan {
  actions: Action[];
  routes: ProxyRoute[];
}

/** Containers of the workload's resource not named as its container: deleted. */
function strayDeletes(
  w: DesiredWorkload,
  ctx: WorkloadContext,
  current: ContainerInfo | undefined,
): Action[] {
  const actions: Action[] = [];
  for (const stray of ctx.containers) {
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
  return actions;
}

/** The workload's volumes that do not exist yet: created. */
function missingVolumes(w: DesiredWorkload, ctx: WorkloadContext): Action[] {
  const actions: Action[] = [];
  for (const v of w.volumes) {
    if (ctx.volumes.has(v.volumeName)) continue;
    actions.push({
      kind: 'volume.create',
      address: `volume/${v.volumeName}`,
      change: 'create',
      resource: w.id,
      reason: `volume ${v.name} of ${w.id} does not exist`,
      volume: {
        name: v.volumeName,
        labels: { ...ctx.owner, [LABEL_RESOURCE]: w.id, [LABEL_VOLUME]: v.name },
      },
      patch: [],
      before: null,
      after: { name: v.volumeName },
    });
  }
  return actions;
}

/** The secrets and host certificate the container uses, and the spec hash they make with its spec. */
function containerHash(w: DesiredWorkload, ctx: WorkloadContext) {
  const secrets = secretUses(w, ctx.secretDigests);
  // A secret's digest joins the hash only when there are secrets, so other workloads keep their hashes.
  const secretsHash =
    secrets.length > 0
      ? hashOf({ spec: w.specHash, secrets: secrets.map((s) => [s.env, s.digest]) })
      : w.specHash;
  // What of the host's certificate decides the container (certificates.ts): its digest, or with a reload hook
  // the folder mounted (a renewal is then a reload of the running container, planned below).
  const certificate = certificateUse(w, ctx.hostCertificates);
  const specHash = certificate
    ? hashOf({ spec: secretsHash, certificate: certificate.hashPart })
    : secretsHash;
  return { secrets, certificate, specHash };
}

/** What planWorkload decided of the container, for the action that makes it so. */
interface ContainerDecision {
  current: ContainerInfo | undefined;
  replacing: boolean;
  forced: string | undefined;
  offNetwork: string | undefined;
  startFirst: boolean;
  run: RunSpec;
  view: ReturnType<typeof containerSpecView>;
  secrets: ReturnType<typeof secretUses>;
  certificate: ReturnType<typeof certificateUse>;
}

/** The container's action: create, replace, start, or reload its renewed certificate; none when it is as desired. */
function containerAction(w: DesiredWorkload, ctx: WorkloadContext, d: ContainerDecision): Action | undefined {
  const { current, replacing, forced, offNetwork, startFirst, run, view, secrets, certificate } = d;
  if (!current) {
    return {
      kind: 'container.create',
      address: `container/${w.containerName}`,
      change: 'create',
      resource: w.id,
      reason: `${w.id} has no container`,
      run,
      ...(secrets.length > 0 ? { secrets } : {}),
      ...(w.healthcheck ? { healthcheck: w.healthcheck } : {}),
      ...checkHook(w),
      ...(w.links ? { links: w.links } : {}),
      ...(w.linkedBy ? { linkedBy: w.linkedBy } : {}),
      patch: [],
      before: null,
      after: view,
    };
  } else if (replacing) {
    const before = observedSpecView(current);
    const patch = diff(before, view);
    return {
      kind: 'container.replace',
      address: `container/${w.containerName}`,
      change: 'replace',
      resource: w.id,
      reason: `${forced ?? offNetwork ?? (before ? `changed: ${changedFields(patch)}` : 'spec hash changed')}${startFirst ? ' (new one starts first)' : ''}`,
      ...(forced !== undefined && { trigger: 'restart' as const }),
      strategy: startFirst ? 'start-first' : 'stop-first',
      finalName: w.containerName,
      run,
      ...(secrets.length > 0 ? { secrets } : {}),
      ...(w.healthcheck ? { healthcheck: w.healthcheck } : {}),
      ...checkHook(w),
      ...(w.links ? { links: w.links } : {}),
      ...(w.linkedBy ? { linkedBy: w.linkedBy } : {}),
      previous: toRef(current),
      volumes: w.volumes.map((v) => v.volumeName),
      keepSnapshots: w.snapshotsKept,
      ...dataSteps(w, ctx),
      patch,
      before,
      after: view,
    };
  } else if (current.state !== 'running') {
    return {
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
    };
  } else if (certificate?.reloads && w.port?.hooks.reload) {
    const reload = hookRef(w, w.port.hooks.reload);
    const secretRefs = secrets.map((s) => s.ref);
    return certificateReload(w, certificate, current, ctx.servedCertificate, { reload, secrets: secretRefs });
  }
  return undefined;
}

/**
 * Plans one workload: strays of its resource are deleted, missing volumes created, the image built (Apps), the
 * container created, replaced (start-first when nothing is shared) or started, and its routes pointed at it.
 */
export function planWorkload(w: DesiredWorkload, ctx: WorkloadContext): WorkloadPlan {
  const current = ctx.containers.find((c) => c.name === w.containerName);
  const actions: Action[] = [...strayDeletes(w, ctx, current), ...missingVolumes(w, ctx)];
  const { secrets, certificate, specHash } = containerHash(w, ctx);
  const hashChanged = current !== undefined && current.labels[LABEL_SPEC_HASH] !== specHash;
  // A container not on exactly its networks (its own one, its links' ones) reaches or is reached by the wrong
  // workloads: only a new container joins them as it should, so it is replaced like any change, health-gated.
  const offNetwork =
    current && !hashChanged && ctx.network ? networkDrift(w, current, ctx.network) : undefined;
  const forced = current !== undefined && !hashChanged && !offNetwork ? ctx.forceReplace : undefined;
  const replacing = hashChanged || offNetwork !== undefined || forced !== undefined;
  // Start-first needs no shared writer (volumes) and no fixed host port; it takes fresh upstream ports.
  // A link target keeps its fixed address, which two containers cannot hold at once.
  const startFirst = replacing && w.volumes.length === 0 && w.ports.length === 0 && !w.linkTarget;
  const upstream = new Map<number, number>();
  for (const p of w.internalPorts)
    upstream.set(p, ctx.allocator.allocate(w, p, startFirst ? undefined : current));
  const routes: ProxyRoute[] = w.routes.map((r) => ({
    resource: w.id,
    host: r.host,
    path: r.path,
    upstream: `127.0.0.1:${upstream.get(r.port)}`,
    ...(r.tls && {
      certificate: { secret: r.tls.certificate, digest: ctx.secretDigests[r.tls.certificate] ?? 'unset' },
    }),
  }));

  const view = containerSpecView(w, secrets, certificate?.view);
  const run = runSpec(w, {
    certificate,
    name: startFirst ? `${w.containerName}_next` : w.containerName,
    owner: ctx.owner,
    specHash,
    view,
    secrets,
    upstream,
  });

  // A forced replace runs the image the container runs: nothing to build.
  if (!current || (replacing && !forced)) {
    const build = imageBuild(w, ctx.owner);
    if (build) actions.push(build);
  }
  const decided = { current, replacing, forced, offNetwork, startFirst, run, view, secrets, certificate };
  const container = containerAction(w, ctx, decided);
  if (container) actions.push(container);
  return { actions, routes };
}

/**
 * The data steps of a port's replace (docs/ports.md): its dump hook before the snapshot, the data version the
 * snapshots record, the migrate steps when the image keeps a higher version than the data (the data restored by
 * a rollback with data, else the volumes'). A lower version or a missing migrate hook is left to the engine's
 * check (engine/dataVersions.ts), which refuses the plan with where that data is.
 */
function dataSteps(
  w: DesiredWorkload,
  ctx: WorkloadContext,
): Pick<ContainerReplace, 'dump' | 'dataVersion' | 'migrate' | 'restoreData'> {
  const restoreData = ctx.restore?.data.length
    ? { restoreData: ctx.restore.data.map((r) => ({ ...r })) }
    : {};
  if (!w.port) return restoreData;
  const dump = w.port.hooks.dump ? { dump: hookRef(w, w.port.hooks.dump) } : {};
  if (ctx.dataVersion === undefined) return { ...dump, ...restoreData };
  const from = ctx.restore?.data.length ? (ctx.restore.dataVersion ?? ctx.dataVersion) : ctx.dataVersion;
  const to = w.port.dataVersion;
  const migrate =
    to > from && w.port.hooks.migrate ? { migrate: { ...hookRef(w, w.port.hooks.migrate), from, to } } : {};
  return { ...dump, dataVersion: ctx.dataVersion, ...migrate, ...restoreData };
}

/** The build of an App's image at its source commit; undefined for a Port (its image is pulled). */
function imageBuild(w: DesiredWorkload, owner: Record<string, string>): Action | undefined {
  if (!w.build) return undefined;
  return {
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
      timeoutMs: w.build.timeoutMs,
    }),
    patch: [],
    before: null,
    after: { image: w.image, commit: w.build.commit },
  };
}

/** The container a workload runs as: labels (ownership, spec hash, spec view), env, mounts and published ports. */
function runSpec(
  w: DesiredWorkload,
  o: {
    name: string;
    owner: Record<string, string>;
    specHash: string;
    view: Record<string, unknown>;
    secrets: SecretUse[];
    upstream: ReadonlyMap<number, number>;
    certificate: CertificateUse | undefined;
  },
): RunSpec {
  const cert = o.certificate?.held;
  return compact({
    // '_' never appears in a resource name (a DNS label), so a `_next` name cannot be another resource's.
    name: o.name,
    image: w.image,
    labels: {
      ...o.owner,
      [LABEL_RESOURCE]: w.id,
      [LABEL_SPEC_HASH]: o.specHash,
      [LABEL_SPEC]: JSON.stringify(o.view),
      ...(o.secrets.length > 0 ? { [LABEL_SECRETS]: o.secrets.map((s) => s.name).join(',') } : {}),
      [LABEL_STOP_TIMEOUT]: String(w.stopGraceSeconds),
      ...(w.build ? { [LABEL_COMMIT]: w.build.commit } : {}),
      ...o.certificate?.labels,
    },
    // The certificate's folder is mounted, not its files: Caddy's renewal writes new files (recent Caddy a new
    // inode renamed over the old one, which a bind mount of the file would never show); the folder's shows them.
    env: cert
      ? {
          ...w.env,
          TLS_CERT_FILE: `${CERTIFICATE_MOUNT_PATH}/${cert.certFile}`,
          TLS_KEY_FILE: `${CERTIFICATE_MOUNT_PATH}/${cert.keyFile}`,
        }
      : w.env,
    secretEnv: o.secrets.length > 0 ? o.secrets.map((s) => ({ env: s.env, secret: s.name })) : undefined,
    entrypoint: w.command,
    args: w.args,
    volumes: [
      ...w.volumes.map((v) => ({ source: v.volumeName, target: v.mountPath, readOnly: v.readOnly })),
      ...(cert ? [{ source: cert.dir, target: CERTIFICATE_MOUNT_PATH, readOnly: true }] : []),
    ],
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
        hostPort: o.upstream.get(p)!,
        containerPort: p,
        protocol: 'tcp' as const,
      })),
    ],
    restart: w.restart,
    memoryBytes: w.memoryBytes,
    cpus: w.cpus,
    stopTimeoutSeconds: w.stopGraceSeconds,
  });
}

/** The port's check hook as a create or replace carries it (none for a bare image). */
function checkHook(w: DesiredWorkload): { check?: HookRef } {
  const check = w.port?.hooks.check;
  return check ? { check: hookRef(w, check) } : {};
}

/** A hook of the workload's port as actions carry it (with the declared time limit, when there is one). */
export function hookRef(w: DesiredWorkload, command: string[]): HookRef {
  const timeout = w.port?.hooks.timeout;
  return {
    command,
    port: `port ${w.port!.name} ${w.port!.version}`,
    ...(timeout !== undefined && { timeoutMs: hookTimeoutMs({ timeout }) }),
  };
}
