// A new container's networks: its own one (isolated, created by the first apply that needs it), and the
// internal network of each link it makes or serves; a link target at a fixed address there, its linker's host.
import { LABEL_NETWORK, linkNetwork, networkLabelValue, ownNetwork, targetAddress } from '../plan/network.js';
import type { ContainerCreate, ContainerReplace } from '../plan/types.js';
import type { ApplyDeps } from './types.js';

/** Each network asked for once per apply (the subnet it resolves to), however many containers join it. */
const subnets = new WeakMap<ApplyDeps, Map<string, Promise<string>>>();

function ensure(deps: ApplyDeps, name: string, internal: boolean): Promise<string> {
  const known = subnets.get(deps) ?? new Map<string, Promise<string>>();
  subnets.set(deps, known);
  let subnet = known.get(name);
  if (!subnet) {
    subnet = deps.podman.ensureNetwork(name, deps.network!.labels, internal);
    known.set(name, subnet);
  }
  return subnet;
}

/**
 * Puts the action's container on its own network and its links' networks, with hosts entries for its links:
 * the action to execute, with its run spec on those networks (the plan's action is never edited).
 */
export async function withNetworks<A extends ContainerCreate | ContainerReplace>(
  a: A,
  deps: ApplyDeps,
): Promise<A> {
  const net = deps.network;
  if (!net || a.resource === 'caddy') return a;
  const links = Object.entries(a.links ?? {});
  const served = a.linkedBy ?? [];
  const [, made, given] = await Promise.all([
    ensure(deps, ownNetwork(net.prefix, a.resource), false),
    Promise.all(
      links.map(async ([host, target]) => {
        const name = linkNetwork(net.prefix, a.resource, target);
        return { host, name, ip: targetAddress(await ensure(deps, name, true)) };
      }),
    ),
    Promise.all(
      served.map(async (linker) => {
        const name = linkNetwork(net.prefix, linker, a.resource);
        const ip = targetAddress(await ensure(deps, name, true));
        return { name, ip, mac: fixedMac(ip) };
      }),
    ),
  ]);
  const network: NonNullable<typeof a.run.network> = {
    name: ownNetwork(net.prefix, a.resource),
    aliases: [a.resource.split('/')[1]!],
  };
  const joins = [...made.map(({ name }) => ({ name })), ...given];
  if (joins.length > 0) network.links = joins;
  if (made.length > 0) network.hosts = Object.fromEntries(made.map(({ host, ip }) => [host, ip]));
  // The label says what it was given, for a Podman that does not report a container's networks (plan/network.ts).
  return {
    ...a,
    run: { ...a.run, labels: { ...a.run.labels, [LABEL_NETWORK]: networkLabelValue(network) }, network },
  };
}

/**
 * The MAC address that goes with a fixed IPv4 address: locally administered (`02:68:`) then the four bytes of the
 * address, so a replacement at the same address answers to the ARP entry its linker already holds.
 */
export function fixedMac(ip: string): string {
  return ['02', '68', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}
