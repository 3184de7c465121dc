// A workload as Kubernetes objects: its Deployment, its Service and a PersistentVolumeClaim per volume. Pure.
import type { DesiredWorkload } from '../model/workload.js';
import { claimName, workloadLabels } from './names.js';
import { containerOf, podVolumes, servedPorts } from './podSpec.js';
import type { DataArchive, KubeObject } from './types.js';

/** Storage asked for a claim: 1 GiB, or four times the data it will be loaded with. */
function storageFor(archive: DataArchive | undefined): string {
  const gib = 1024 ** 3;
  if (!archive) return '1Gi';
  return `${Math.max(1, Math.ceil((archive.bytes * 4) / gib))}Gi`;
}

/** One PersistentVolumeClaim per volume of the workload. */
export function claimsOf(w: DesiredWorkload, data?: ReadonlyMap<string, DataArchive>): KubeObject[] {
  return w.volumes.map((v) => {
    const name = claimName(w.name, v.name);
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, labels: workloadLabels(w) },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: storageFor(data?.get(name)) } },
      },
    };
  });
}

/**
 * The Deployment of a workload: one replica, as on the box. With volumes its strategy is Recreate, so two pods
 * never write one volume (the Podman equivalent of HIY's stop-first upgrade of a port with data); without them
 * a rolling update starts the new pod before the old one stops, as HIY does.
 */
export function deploymentOf(w: DesiredWorkload, expose: readonly number[]): KubeObject {
  const labels = workloadLabels(w);
  const volumes = podVolumes(w);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': w.name } },
      strategy: w.volumes.length > 0 ? { type: 'Recreate' } : { type: 'RollingUpdate' },
      template: {
        metadata: { labels },
        spec: {
          containers: [containerOf(w, { probes: true, expose })],
          ...(volumes.length > 0 && { volumes }),
          terminationGracePeriodSeconds: w.stopGraceSeconds,
        },
      },
    },
  };
}

/** The Service of a workload: its name is the host name linked workloads were given (`${host}`). */
export function serviceOf(w: DesiredWorkload, expose: readonly number[]): KubeObject | undefined {
  const ports = servedPorts(w, expose);
  if (ports.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: w.name, labels: workloadLabels(w) },
    spec: {
      selector: { 'app.kubernetes.io/name': w.name },
      ports: ports.map(({ port, protocol }) => ({
        name: `${protocol.toLowerCase()}-${port}`,
        port,
        targetPort: port,
        protocol,
      })),
    },
  };
}
