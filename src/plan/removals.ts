// What the state repo no longer asks for: containers of removed resources, retained volumes, mass deletes. Pure.
import type { ContainerInfo, VolumeInfo } from '../model/containers.js';
import { LABEL_RESOURCE } from '../model/labels.js';
import { observedSpecView, toRef } from './containerSpec.js';
import type { Action, Plan, RetainedVolume } from './types.js';

/** Observed containers by the resource id in their label (`''` for HIY's containers without one). */
export function containersByResource(containers: ContainerInfo[]): Map<string, ContainerInfo[]> {
  const byResource = new Map<string, ContainerInfo[]>();
  for (const c of containers) {
    const id = c.labels[LABEL_RESOURCE] ?? '';
    byResource.set(id, [...(byResource.get(id) ?? []), c]);
  }
  return byResource;
}

/** Deletes every container of a resource that is not desired any more (volumes are never deleted here). */
export function removedContainers(
  byResource: ReadonlyMap<string, ContainerInfo[]>,
  desiredIds: ReadonlySet<string>,
): Action[] {
  const actions: Action[] = [];
  for (const [id, containers] of [...byResource.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (desiredIds.has(id)) continue;
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
  return actions;
}

/** Volumes nothing desired mounts any more: kept with their data, listed so users know they exist. */
export function retainedVolumes(
  volumes: VolumeInfo[],
  wanted: ReadonlySet<string>,
  desiredIds: ReadonlySet<string>,
): RetainedVolume[] {
  const retained: RetainedVolume[] = [];
  for (const v of volumes) {
    if (wanted.has(v.name)) continue;
    const resource = v.labels[LABEL_RESOURCE] ?? 'unknown';
    retained.push({
      name: v.name,
      resource,
      reason: desiredIds.has(resource)
        ? `no longer mounted by ${resource}; kept (delete it explicitly to free the space)`
        : `${resource} was removed from the state repo; its data is kept`,
    });
  }
  return retained.sort((a, b) => a.name.localeCompare(b.name));
}

/** Set when the plan removes more than half of the managed resources at once (a wrong branch, an emptied repo). */
export function massDeleteOf(
  byResource: ReadonlyMap<string, unknown>,
  desiredIds: ReadonlySet<string>,
): Plan['massDelete'] {
  const managed = new Set([...byResource.keys()].filter(Boolean));
  const removing = [...managed].filter((id) => !desiredIds.has(id)).sort();
  return removing.length > 0 && removing.length * 2 > managed.size
    ? { removing, managed: managed.size }
    : undefined;
}
