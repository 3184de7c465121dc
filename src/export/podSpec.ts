// The container and volumes of a workload's pods, shared by its Deployment and its CronJobs. Pure.
import type { IContainer, IEnvVar, IProbe, IVolume } from 'kubernetes-models/v1';
import type { DesiredWorkload, Probe } from '../model/workload.js';
import { claimName, secretObjectName } from './names.js';
import type { ExportWarning } from './types.js';

/** Kubernetes quantity of a memory size: the largest binary unit that divides it, else bytes. */
export function memoryQuantity(bytes: number): string {
  for (const [unit, size] of [
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** Kubernetes quantity of a CPU count: millicores (`500m`), or whole CPUs. */
export function cpuQuantity(cpus: number): string {
  const milli = Math.round(cpus * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Env in a stable order: plain values, then values from Secrets (by name; values never here). */
function envOf(w: DesiredWorkload): IEnvVar[] {
  const plain = Object.keys(w.env)
    .sort()
    .map((name) => ({ name, value: w.env[name]! }));
  const fromSecrets = Object.keys(w.secretEnv ?? {})
    .sort()
    .map((name) => ({
      name,
      valueFrom: { secretKeyRef: { name: secretObjectName(w.secretEnv![name]!), key: 'value' } },
    }));
  return [...plain, ...fromSecrets];
}

function probeAction(p: Probe): Pick<IProbe, 'httpGet' | 'tcpSocket' | 'exec'> {
  if (p.kind === 'http') return { httpGet: { path: p.path, port: p.port } };
  if (p.kind === 'tcp') return { tcpSocket: { port: p.port } };
  return { exec: { command: p.command } };
}

/**
 * HIY's health check as probes: the startup probe allows the check's whole timeout (HIY's "how long a started
 * container may take to become healthy"), readiness gates traffic at the check's interval, liveness restarts a
 * container that stops answering (three failures, at least ten seconds apart).
 */
function probes(w: DesiredWorkload): Pick<IContainer, 'startupProbe' | 'readinessProbe' | 'livenessProbe'> {
  if (!w.healthcheck) return {};
  const action = probeAction(w.healthcheck.probe);
  const period = Math.max(1, Math.round(w.healthcheck.intervalMs / 1000));
  const startupFailures = Math.max(1, Math.ceil(w.healthcheck.timeoutMs / (period * 1000)));
  return {
    startupProbe: { ...action, periodSeconds: period, failureThreshold: startupFailures },
    readinessProbe: { ...action, periodSeconds: period },
    livenessProbe: { ...action, periodSeconds: Math.max(10, period), failureThreshold: 3 },
  };
}

/** Every container port the workload serves: published, routed, probed and exposed (`spec.expose`). */
export function servedPorts(
  w: DesiredWorkload,
  expose: readonly number[] = [],
): { port: number; protocol: 'TCP' | 'UDP' }[] {
  const seen = new Map<string, { port: number; protocol: 'TCP' | 'UDP' }>();
  const add = (port: number, protocol: 'TCP' | 'UDP') => seen.set(`${port}/${protocol}`, { port, protocol });
  for (const p of w.ports) add(p.containerPort, p.protocol === 'udp' ? 'UDP' : 'TCP');
  for (const p of w.internalPorts) add(p, 'TCP');
  for (const r of w.routes) add(r.port, 'TCP');
  for (const p of expose) add(p, 'TCP');
  return [...seen.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** The workload's one container. */
export function containerOf(
  w: DesiredWorkload,
  opts: { probes: boolean; expose?: readonly number[] },
): IContainer {
  const published = new Map(w.ports.map((p) => [`${p.containerPort}/${p.protocol}`, p]));
  const limits: Record<string, string> = {};
  if (w.memoryBytes !== undefined) limits.memory = memoryQuantity(w.memoryBytes);
  if (w.cpus !== undefined) limits.cpu = cpuQuantity(w.cpus);
  const env = envOf(w);
  return {
    name: w.name,
    image: w.image,
    ...(w.command && { command: w.command }),
    ...(w.args && { args: w.args }),
    ...(env.length > 0 && { env }),
    ports: servedPorts(w, opts.expose).map(({ port, protocol }) => {
      const host = published.get(`${port}/${protocol.toLowerCase()}`);
      return {
        containerPort: port,
        protocol,
        ...(host && { hostPort: host.hostPort }),
        ...(host?.hostIP && { hostIP: host.hostIP }),
      };
    }),
    ...(w.volumes.length > 0 && {
      volumeMounts: w.volumes.map((v) => ({
        name: v.name,
        mountPath: v.mountPath,
        ...(v.readOnly && { readOnly: true }),
      })),
    }),
    ...(Object.keys(limits).length > 0 && { resources: { limits } }),
    ...(opts.probes ? probes(w) : {}),
  };
}

/** The pod volumes: each of the workload's volumes is its PersistentVolumeClaim. */
export function podVolumes(w: DesiredWorkload): IVolume[] {
  return w.volumes.map((v) => ({
    name: v.name,
    persistentVolumeClaim: { claimName: claimName(w.name, v.name) },
  }));
}

/** What a Deployment cannot say of a workload's container, as warnings. */
export function containerWarnings(w: DesiredWorkload): ExportWarning[] {
  const out: ExportWarning[] = [];
  if (w.restart !== 'always' && w.restart !== 'unless-stopped')
    out.push({
      resource: w.id,
      field: 'spec.restart',
      message: `restart: ${w.restart} has no Deployment equivalent (pods of a Deployment always restart)`,
    });
  const hooks = Object.keys(w.port?.hooks ?? {}).filter((h) => h !== 'timeout');
  if (hooks.length > 0)
    out.push({
      resource: w.id,
      field: 'spec.image',
      message: `the port's ${hooks.join(', ')} hook(s) run around HIY's deploys only: Kubernetes will not run them (take a dump before upgrades yourself)`,
    });
  if (w.image.startsWith('localhost/'))
    out.push({
      resource: w.id,
      field: w.kind === 'App' ? 'spec.source' : 'spec.image',
      message: `${w.image} exists only on this box: push it to a registry the cluster pulls from and change image:`,
    });
  return out;
}
