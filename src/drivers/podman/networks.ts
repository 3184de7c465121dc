// Networks: found or created once, then closed to other networks (own) or kept free of published ports (link).
import { networkCreateArgv, networkInspectArgv } from './argv.js';
import type { PodmanCalls } from './calls.js';
import { dropPortMappings } from './cniConfig.js';
import { closeNetwork } from './firewall.js';
import { parseNetworkBridge, parseNetworkSubnet } from './output.js';
import { PodmanError } from './types.js';

/** Creates the network if it is missing and closes it; resolves to its IPv4 subnet. */
export async function ensureNetwork(
  podman: PodmanCalls,
  name: string,
  labels: Record<string, string>,
  internal: boolean,
): Promise<string> {
  const subnet = await findOrCreateNetwork(podman, name, labels, internal);
  // An own network is closed to connections from other networks (only its published ports get in).
  if (!internal) {
    if (!subnet.bridge)
      throw new PodmanError(`podman network inspect names no bridge for ${name}`, { argv: [] });
    // Rootless, the bridge is in Podman's rootless network namespace, and so must the rule be.
    const target = (await podman.isRootless()) ? { podman: podman.binary } : {};
    await closeNetwork(subnet.bridge, name, target).catch((err: Error) => {
      throw new PodmanError(`could not close the network ${name} to other networks: ${err.message}`, {
        argv: ['iptables'],
      });
    });
  } else {
    // A link network forwards no published port: those reach a container on its own network only.
    await dropPortMappings(name).catch((err: Error) => {
      throw new PodmanError(`could not keep published ports off the network ${name}: ${err.message}`, {
        argv: [],
      });
    });
  }
  return subnet.subnet;
}

async function findOrCreateNetwork(
  podman: PodmanCalls,
  name: string,
  labels: Record<string, string>,
  internal: boolean,
): Promise<{ subnet: string; bridge: string }> {
  // Every apply that runs a container asks; the network is there almost always: one call then, not two.
  const argv = networkInspectArgv(name);
  const read = (text: string) => ({ subnet: parseNetworkSubnet(text), bridge: parseNetworkBridge(text) });
  const found = await podman.call(argv, { okExitCodes: [125] });
  if (found.exitCode === 0) return podman.parse(argv, () => read(found.stdout));
  if (!/network not found/.test(found.stderr)) throw podman.failure(argv, found);
  const create = networkCreateArgv(name, labels, internal);
  const r = await podman.call(create, { okExitCodes: [125] });
  // Two HIY processes may create it at once; the loser finds it there.
  if (r.exitCode !== 0 && !/already exists/.test(r.stderr)) throw podman.failure(create, r);
  const { stdout } = await podman.call(argv);
  return podman.parse(argv, () => read(stdout));
}
