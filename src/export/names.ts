// Kubernetes names and labels for what the export writes: stable, valid, and traceable to the HIY resource. Pure.
import { createHash } from 'node:crypto';
import type { DesiredWorkload } from '../model/workload.js';

/** Labels every exported object carries. */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'hiy-export' } as const;

/** The label that selects a workload's pods (and that Services and NetworkPolicies select on). */
export const NAME_LABEL = 'app.kubernetes.io/name';

/** The HIY resource an object came from, as a label value (`port.web`: labels cannot hold `/`). */
export const RESOURCE_LABEL = 'hiy.dev/resource';

export function resourceLabelValue(id: string): string {
  return id.replace('/', '.');
}

/** The labels of a workload's objects. */
export function workloadLabels(w: Pick<DesiredWorkload, 'id' | 'name'>): Record<string, string> {
  return { ...MANAGED_BY, [NAME_LABEL]: w.name, [RESOURCE_LABEL]: resourceLabelValue(w.id) };
}

/** The PersistentVolumeClaim of a workload's volume: `web-site`. */
export function claimName(workload: string, volume: string): string {
  return dns1123(`${workload}-${volume}`);
}

/**
 * The Kubernetes Secret holding HIY secret NAME (key `value`). HIY names allow `_` and capitals, Kubernetes does
 * not: those are lower-cased and `_` becomes `-`, with a short hash of the original when that changed it, so two
 * HIY names never meet in one Kubernetes name.
 */
export function secretObjectName(hiyName: string): string {
  const plain = hiyName.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  const same = plain === hiyName && /^[a-z0-9]/.test(plain) && /[a-z0-9]$/.test(plain);
  if (same && plain.length <= 253) return plain;
  const hash = createHash('sha256').update(hiyName).digest('hex').slice(0, 8);
  return `${dns1123(plain).slice(0, 240)}-${hash}`;
}

/** A DNS-1123 name (lower-case alphanumerics, `-` and `.`), alphanumeric at both ends, at most 253 characters. */
function dns1123(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 253);
}
