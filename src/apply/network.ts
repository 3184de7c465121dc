// The instance network: created (isolated, labelled) by the first apply that runs a container, joined by every
// new container under its resource name; link targets at fixed addresses, which their linkers get as hosts.
import { LABEL_NETWORK, networkLabelValue } from '../plan/network.js';
import type { ContainerCreate, ContainerReplace } from '../plan/types.js';
import type { ApplyDeps } from './types.js';

const subnets = new WeakMap<ApplyDeps, Promise<string>>();
/** Address allocation is a read-modify-write of one file: one at a time per apply. */
const queues = new WeakMap<ApplyDeps, Promise<unknown>>();

function serial<T>(deps: ApplyDeps, fn: () => Promise<T>): Promise<T> {
  const next = (queues.get(deps) ?? Promise.resolve()).then(fn, fn);
  queues.set(
    deps,
    next.catch(() => undefined),
  );
  return next;
}

/** Puts the instance network (and, for links, the linked Ports' addresses) on the action's container. */
export async function joinNetwork(a: ContainerCreate | ContainerReplace, deps: ApplyDeps): Promise<void> {
  const net = deps.network;
  if (!net || a.resource === 'caddy') return;
  let subnet = subnets.get(deps);
  if (!subnet) {
    subnet = deps.podman.ensureNetwork(net.name, net.labels);
    subnets.set(deps, subnet);
  }
  const s = await subnet;
  const links = a.links ?? {};
  const wanted = [...(a.fixedAddress ? [a.resource] : []), ...Object.values(links)];
  const addresses = wanted.length ? await serial(deps, () => net.addresses(s, wanted)) : {};
  const network: NonNullable<typeof a.run.network> = { name: net.name, aliases: [a.resource.split('/')[1]!] };
  if (a.fixedAddress) {
    network.ip = addresses[a.resource]!;
    network.mac = fixedMac(network.ip);
  }
  if (Object.keys(links).length > 0)
    network.hosts = Object.fromEntries(Object.entries(links).map(([host, id]) => [host, addresses[id]!]));
  // The label says what it was given, so a later plan can tell a stale address or hosts entry (plan/network.ts).
  a.run = { ...a.run, labels: { ...a.run.labels, [LABEL_NETWORK]: networkLabelValue(network) }, network };
}

/**
 * The MAC address that goes with a fixed IPv4 address: locally administered (`02:68:`) then the four bytes of the
 * address, so a replacement at the same address answers to the ARP entry the host already holds.
 */
export function fixedMac(ip: string): string {
  return ['02', '68', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}
