// The Secrets the workloads name: referenced by name always; written with their values only when asked. Pure.
import type { DesiredWorkload } from '../model/workload.js';
import { MANAGED_BY, secretObjectName } from './names.js';
import type { KubeObject } from './types.js';

/** Every HIY secret the workloads read, as (HIY name, Kubernetes name), sorted by Kubernetes name. */
export function secretsNamed(workloads: readonly DesiredWorkload[]): { hiy: string; kube: string }[] {
  const names = new Set<string>();
  for (const w of workloads) for (const s of Object.values(w.secretEnv ?? {})) names.add(s);
  return [...names]
    .map((hiy) => ({ hiy, kube: secretObjectName(hiy) }))
    .sort((a, b) => a.kube.localeCompare(b.kube));
}

/** A Secret object with its value under the key `value` (base64, as the API stores it). */
export function secretObject(kube: string, hiy: string, value: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: kube, labels: { ...MANAGED_BY }, annotations: { 'hiy.dev/secret': hiy } },
    type: 'Opaque',
    data: { value: Buffer.from(value, 'utf8').toString('base64') },
  };
}

/**
 * The same value as a Podman secret `podman kube play` can read through `secretKeyRef`: Podman 4.3 parses the
 * secret's data as JSON, a map of keys to base64 values (a stored `kind: Secret` document is not read).
 */
export function podmanSecretData(value: string): string {
  return `${JSON.stringify({ value: Buffer.from(value, 'utf8').toString('base64') })}\n`;
}
