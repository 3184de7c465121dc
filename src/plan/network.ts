// Whether a container's place on the instance network is stale (not on it, an old fixed address or hosts entry). Pure.
import type { ContainerInfo, RunSpec } from '../model/containers.js';
import type { DesiredWorkload } from '../model/workload.js';

/**
 * Label recording what apply put on a container's network (`{"hosts":{…},"ip":…,"name":…}`), set when it is
 * created: the observation's one `podman ps` shows the networks a container is on, not its address or hosts.
 */
export const LABEL_NETWORK = 'hiy.network';

/** What the plan knows of the instance network: its name and the fixed addresses given so far (network.json). */
export interface NetworkContext {
  name: string;
  /** Resource id → fixed address; a resource without one is given one when it is next created. */
  addresses: Record<string, string>;
}

/** The label value of a run spec's network, keys sorted so that equal networks give equal text. */
export function networkLabelValue(network: NonNullable<RunSpec['network']>): string {
  const hosts = network.hosts
    ? Object.fromEntries(Object.entries(network.hosts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : undefined;
  return JSON.stringify({
    ...(hosts && Object.keys(hosts).length > 0 ? { hosts } : {}),
    ...(network.ip ? { ip: network.ip } : {}),
    name: network.name,
  });
}

function recorded(
  c: ContainerInfo,
): { name?: string; ip?: string; hosts?: Record<string, string> } | undefined {
  const text = c.labels[LABEL_NETWORK];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as { name?: string; ip?: string; hosts?: Record<string, string> };
  } catch {
    return undefined;
  }
}

/**
 * Why the container of `w` must be recreated to be reachable on the instance network, or undefined. It judges
 * only what the observation shows: the networks of `podman ps` (not reported: not judged) and the network label
 * (absent on containers made before it: their address and hosts are not judged); an address not given yet is
 * given when the container is next created, so it is not judged either.
 */
export function networkDrift(w: DesiredWorkload, c: ContainerInfo, net: NetworkContext): string | undefined {
  if (c.networks && !c.networks.includes(net.name)) return `not on the instance network ${net.name}`;
  const was = recorded(c);
  if (!was) return undefined;
  if (was.name !== undefined && was.name !== net.name) return `not on the instance network ${net.name}`;
  const own = net.addresses[w.id];
  if (w.linkTarget && own && was.ip !== own)
    return `its fixed address on ${net.name} is ${own}, not ${was.ip ?? 'unset'}`;
  const stale = Object.entries(w.links ?? {})
    .filter(([host, id]) => net.addresses[id] !== undefined && was.hosts?.[host] !== net.addresses[id])
    .map(([host, id]) => `${host} is at ${net.addresses[id]}, not ${was.hosts?.[host] ?? 'unset'}`);
  if (stale.length > 0) return `stale hosts entries on ${net.name}: ${stale.join(', ')}`;
  return undefined;
}
