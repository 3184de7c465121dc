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

/**
 * Where the rules go. Root's Podman puts its bridges in the host's network namespace; rootless Podman in its own
 * rootless network namespace, which only `podman unshare --rootless-netns` enters (and creates if missing), and
 * where the user is root: `podman` names the binary then.
 */
export interface FirewallTarget {
  podman?: string;
}

/** The argv of one iptables call, on the host or in rootless Podman's network namespace. */
export function iptablesArgv(args: string[], target: FirewallTarget = {}): string[] {
  const call = ['iptables', '-w', '10', ...args];
  return target.podman ? [target.podman, 'unshare', '--rootless-netns', ...call] : call;
}

// An unprivileged user's PATH often lacks the sbin directories where iptables is.
const PATH = [process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', '/usr/sbin', '/sbin'].join(':');

async function iptablesIn(args: string[], target: FirewallTarget) {
  const [file, ...argv] = iptablesArgv(args, target);
  const r = await execa(file!, argv, {
    reject: false,
    timeout: 30_000,
    stdin: 'ignore',
    env: { PATH },
  });
  const missing =
    r.code === 'ENOENT' || (target.podman !== undefined && /executable file not found/.test(r.stderr));
  if (missing) throw new Error('iptables is not installed (scripts/setup.sh installs it)');
  return r;
}

/** Puts the rule for `network` on `bridge` first in the admin chain, once; removes HIY's stale ones there. */
export async function closeNetwork(
  bridge: string,
  network: string,
  target: FirewallTarget = {},
): Promise<void> {
  const iptables = (args: string[]) => iptablesIn(args, target);
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
