// A workload's routes as Ingresses, one per route, with HIY's TLS mode mapped to cert-manager. Pure.
import type { TlsMode } from '../model/settings.js';
import type { DesiredWorkload } from '../model/workload.js';
import { workloadLabels } from './names.js';
import type { KubeObject } from './types.js';

/** The cert-manager ClusterIssuer each TLS mode is mapped to, unless the export is told another. */
export const DEFAULT_ISSUER: Record<Exclude<TlsMode, 'off'>, string> = {
  acme: 'letsencrypt',
  internal: 'hiy-internal-ca',
};

/**
 * One Ingress per route: its host, its path as a prefix, the workload's Service and the route's port. With TLS
 * on, cert-manager's `cluster-issuer` annotation asks for a certificate of the host, kept in `NAME-tls`.
 */
export function ingressesOf(w: DesiredWorkload, tls: TlsMode, clusterIssuer?: string): KubeObject[] {
  return w.routes.map((route, i) => {
    const name = `${w.name}-route-${i}`;
    const issuer = tls === 'off' ? undefined : (clusterIssuer ?? DEFAULT_ISSUER[tls]);
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name,
        labels: workloadLabels(w),
        ...(issuer && { annotations: { 'cert-manager.io/cluster-issuer': issuer } }),
      },
      spec: {
        rules: [
          {
            host: route.host,
            http: {
              paths: [
                {
                  path: route.path,
                  pathType: 'Prefix',
                  backend: { service: { name: w.name, port: { number: route.port } } },
                },
              ],
            },
          },
        ],
        ...(issuer && { tls: [{ hosts: [route.host], secretName: `${name}-tls` }] }),
      },
    };
  });
}
