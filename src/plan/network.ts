// The networks of a workload (its own one, one internal network per link) and whether a container's are stale. Pure.

import type { ContainerInfo, RunSpec } from '../model/containers.js';
import { LABEL_NETWORK } from '../model/labels.js';
import type { DesiredWorkload } from '../model/workload.js';

export { LABEL_NETWORK } from '../model/labels.js';

/** What the plan knows of the instance's networks: the prefix of their names (`hiy`, `hiy-INSTANCE`). */
export interface NetworkContext {
  prefix: string;
}

/** `kind/name` → `kind.name`: resource names are DNS labels, so a `.` separates the parts unambiguously. */
const dotted = (resource: string): string => resource.replace('/', '.');

/**
 * A workload's own network (`hiy.app.web`): isolated, it alone is on it; its way out to the world and the
 * bridge its published ports forward to. Nothing else shares it, so nothing else reaches the workload by it.
 */
export function ownNetwork(prefix: string, resource: string): string {
  return `${prefix}.${dotted(resource)}`;
}

/** What ends a link network's prefix: `_` sorts after the `.` of every own network of the instance. */
const LINK_SEPARATOR = '_link.';

/**
 * The network of one link (`hiy_link.app.web.port.db`): internal (no gateway, no route from the host or any other
 * network), and only the linking workload and the linked one are on it. Its name sorts after every own network
 * (`hiy.…`): Podman sets a container's networks up in name order and gives each of them the published ports
 * (CNI portmap), and the first one's DNAT wins; on an internal network the host has no route to the container,
 * so a published port must forward to the own network.
 */
export function linkNetwork(prefix: string, linker: string, target: string): string {
  return `${prefix}${LINK_SEPARATOR}${dotted(linker)}.${dotted(target)}`;
}

/**
 * A link target's address on a link network: the highest host of the subnet (Podman's IPAM gives from the
 * bottom), fixed, so a replacement is where its linker's hosts entry points.
 */
export function targetAddress(subnet: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m || Number(m[5]) > 30) throw new Error(`${subnet} is not an IPv4 subnet with room for a link`);
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const n = (base + 2 ** (32 - Number(m[5])) - 2) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The networks `w`'s container must be on, sorted: its own one, one per link, one per workload linking to it. */
export function workloadNetworks(w: DesiredWorkload, net: NetworkContext): string[] {
  return [
    ownNetwork(net.prefix, w.id),
    ...Object.values(w.links ?? {}).map((target) => linkNetwork(net.prefix, w.id, target)),
    ...(w.linkedBy ?? []).map((linker) => linkNetwork(net.prefix, linker, w.id)),
  ].sort();
}

/** The label value of a run spec's networks, sorted so that equal networks give equal text. */
export function networkLabelValue(network: NonNullable<RunSpec['network']>): string {
  const hosts = network.hosts
    ? Object.fromEntries(Object.entries(network.hosts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : undefined;
  return JSON.stringify({
    ...(hosts && Object.keys(hosts).length > 0 ? { hosts } : {}),
    networks: [network.name, ...(network.links ?? []).map((l) => l.name)].sort(),
  });
}

function recordedNetworks(c: ContainerInfo): string[] | undefined {
  const text = c.labels[LABEL_NETWORK];
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as { networks?: unknown; name?: unknown };
    if (Array.isArray(v.networks)) return v.networks.map(String).sort();
    // The label of HIY before link networks: `{"name":"hiy",…}`, one shared instance network.
    return typeof v.name === 'string' ? [v.name] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why the container of `w` must be recreated to be on exactly its networks, or undefined. It judges only what
 * the observation shows: the networks of `podman ps`, or when Podman does not report them, the network label
 * (absent: not judged). A container on the old shared instance network is replaced onto its own ones.
 */
export function networkDrift(w: DesiredWorkload, c: ContainerInfo, net: NetworkContext): string | undefined {
  const want = workloadNetworks(w, net);
  const have = c.networks ? [...c.networks].sort() : recordedNetworks(c);
  if (!have) return undefined;
  const missing = want.filter((n) => !have.includes(n));
  const extra = have.filter((n) => !want.includes(n));
  if (missing.length === 0 && extra.length === 0) return undefined;
  return [
    ...(missing.length > 0 ? [`not on ${missing.join(', ')}`] : []),
    ...(extra.length > 0 ? [`on ${extra.join(', ')}, which it must not reach`] : []),
  ].join('; ');
}
