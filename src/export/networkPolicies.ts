// The instance's isolation as NetworkPolicies: nothing reaches a pod unless a link, a route or a published port
// says so (links are the allow list, as on the box). Pure.
import type { DesiredWorkload } from '../model/workload.js';
import { MANAGED_BY, NAME_LABEL, RESOURCE_LABEL, resourceLabelValue, workloadLabels } from './names.js';
import { servedPorts } from './podSpec.js';
import type { KubeObject } from './types.js';

function policy(name: string, w: DesiredWorkload | undefined, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, labels: w ? workloadLabels(w) : { ...MANAGED_BY } },
    spec,
  };
}

export interface PolicyInput {
  workloads: DesiredWorkload[];
  /** `spec.expose` of each workload by name. */
  expose: ReadonlyMap<string, readonly number[]>;
  /** Namespace of the ingress controller (k3s: kube-system). */
  ingressNamespace: string;
}

/**
 * A default deny of ingress to every exported pod; then, per workload, the pods that link to it (its Deployment's
 * and its CronJobs' pods, by resource label; on the ports it serves), the ingress controller (on its route ports) and anyone (on its published host ports).
 */
export function networkPoliciesOf(input: PolicyInput): KubeObject[] {
  const out: KubeObject[] = [
    policy('hiy-default-deny-ingress', undefined, {
      podSelector: { matchLabels: { ...MANAGED_BY } },
      policyTypes: ['Ingress'],
    }),
  ];
  const byId = new Map(input.workloads.map((w) => [w.id as string, w]));
  const linkers = new Map<string, string[]>();
  for (const w of input.workloads) {
    for (const target of Object.values(w.links ?? {})) {
      linkers.set(target, [...(linkers.get(target) ?? []), resourceLabelValue(w.id)]);
    }
  }
  for (const w of [...input.workloads].sort((a, b) => a.name.localeCompare(b.name))) {
    const select = { podSelector: { matchLabels: { [NAME_LABEL]: w.name } }, policyTypes: ['Ingress'] };
    const from = linkers.get(w.id);
    const served = servedPorts(w, input.expose.get(w.name) ?? []);
    if (from?.length && byId.has(w.id) && served.length > 0) {
      out.push(
        policy(`${w.name}-from-links`, w, {
          ...select,
          ingress: [
            {
              from: [
                {
                  podSelector: {
                    matchExpressions: [
                      { key: RESOURCE_LABEL, operator: 'In', values: [...new Set(from)].sort() },
                    ],
                  },
                },
              ],
              ports: served.map(({ port, protocol }) => ({ port, protocol })),
            },
          ],
        }),
      );
    }
    const routePorts = [...new Set(w.routes.map((r) => r.port))].sort((a, b) => a - b);
    if (routePorts.length > 0) {
      out.push(
        policy(`${w.name}-from-ingress`, w, {
          ...select,
          ingress: [
            {
              from: [
                {
                  namespaceSelector: {
                    matchLabels: { 'kubernetes.io/metadata.name': input.ingressNamespace },
                  },
                },
              ],
              ports: routePorts.map((port) => ({ port, protocol: 'TCP' })),
            },
          ],
        }),
      );
    }
    if (w.ports.length > 0) {
      out.push(
        policy(`${w.name}-published`, w, {
          ...select,
          ingress: [
            {
              ports: w.ports.map((p) => ({
                port: p.containerPort,
                protocol: p.protocol === 'udp' ? 'UDP' : 'TCP',
              })),
            },
          ],
        }),
      );
    }
  }
  return out;
}
