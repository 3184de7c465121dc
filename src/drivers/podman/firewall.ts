// Closes a workload's own network to forwarded connections: only replies and published ports get in (iptables).
import { execa } from 'execa';

/** The chain the CNI firewall plugin keeps for the administrator's rules; FORWARD reaches it before anything. */
export const ADMIN_CHAIN = 'CNI-ADMIN';

/** The comment that marks HIY's rule for a network (and finds a stale one on a reused bridge name). */
const comment = (network: string): string => `hiy closed ${network}`;

/**
 * The rule: a new connection forwarded into the bridge is dropped unless Podman's port forwarding made it (DNAT),
 * so a container on Podman's default network, or on any other, cannot open one to the workload by its address.
 */
export function closeRule(bridge: string, network: string): string[] {
  return [
    ...['-o', bridge, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'conntrack', '!', '--ctstate', 'DNAT'],
    ...['-m', 'comment', '--comment', comment(network), '-j', 'DROP'],
  ];
}

/** The rules of `iptables -S CHAIN` that HIY made for another network on `bridge` (its name was reused). */
export function staleRules(listing: string, bridge: string, network: string): string[][] {
  return listing
    .split('\n')
    .filter(
      (l) => l.startsWith(`-A ${ADMIN_CHAIN} `) && l.includes(`-o ${bridge} `) && l.includes('hiy closed'),
    )
    .filter((l) => !l.includes(`"${comment(network)}"`) && !l.includes(` ${comment(network)} `))
    .map((l) =>
      (l.slice(`-A ${ADMIN_CHAIN} `.length).match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"|"$/g, '')),
    );
}

async function iptables(args: string[]) {
  const r = await execa('iptables', ['-w', '10', ...args], {
    reject: false,
    timeout: 30_000,
    stdin: 'ignore',
  });
  if (r.code === 'ENOENT') throw new Error('iptables is not installed (scripts/setup.sh installs it)');
  return r;
}

/** Puts the rule for `network` on `bridge` first in the admin chain, once; removes HIY's stale ones there. */
export async function closeNetwork(bridge: string, network: string): Promise<void> {
  const rule = closeRule(bridge, network);
  const created = await iptables(['-N', ADMIN_CHAIN]);
  if (created.exitCode !== 0 && !/exists/i.test(created.stderr))
    throw new Error(`iptables -N ${ADMIN_CHAIN} failed: ${created.stderr.trim()}`);
  const listing = await iptables(['-S', ADMIN_CHAIN]);
  for (const stale of staleRules(listing.stdout, bridge, network))
    await iptables(['-D', ADMIN_CHAIN, ...stale]);
  if ((await iptables(['-C', ADMIN_CHAIN, ...rule])).exitCode === 0) return;
  const added = await iptables(['-I', ADMIN_CHAIN, ...rule]);
  if (added.exitCode !== 0) throw new Error(`iptables could not close ${network}: ${added.stderr.trim()}`);
}
