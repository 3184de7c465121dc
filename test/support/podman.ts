// Test helpers for real Podman: unique instance names, cleanup by label, the busybox base image.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ADMIN_CHAIN, iptablesArgv } from '../../src/drivers/podman/firewall.js';
import { LABEL_INSTANCE } from '../../src/model/labels.js';

export const BUSYBOX_IMAGE = 'localhost/hiy/busybox:latest';

const BUSYBOX_BUILD_SCRIPT = fileURLToPath(new URL('../../images/busybox/build.sh', import.meta.url));

/** A fresh instance name (`t` + 6 random base-36 chars by default) so parallel runs never share objects. */
export function testInstance(prefix = 't'): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
  return `${prefix}${suffix}`;
}

async function lines(argv: string[]): Promise<string[]> {
  const { stdout } = await execa('podman', argv);
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

/** Removes every container, volume and image labelled `hiy.instance=<instance>`. */
export async function cleanupInstance(instance: string): Promise<void> {
  const filter = `label=${LABEL_INSTANCE}=${instance}`;
  const containers = await lines(['ps', '-a', '-q', '--filter', filter]);
  if (containers.length > 0) await execa('podman', ['rm', '-f', '-t', '0', '--ignore', ...containers]);
  // `volume ls` ORs label filters in Podman 4.3.1; a single filter is exact.
  const volumes = await lines(['volume', 'ls', '-q', '--filter', filter]);
  if (volumes.length > 0) await execa('podman', ['volume', 'rm', '-f', ...volumes]);
  const images = await lines(['images', '-q', '--filter', filter]);
  if (images.length > 0) await execa('podman', ['rmi', '-f', '--ignore', ...new Set(images)]);
  for (const name of await instanceSecrets(instance)) {
    await execa('podman', ['secret', 'rm', name], { reject: false });
  }
  // The rules that closed the instance's own networks, then the networks (docs/ports.md).
  // Rootless (the suite run as an unprivileged user), the rules are in Podman's rootless network namespace.
  const target = process.getuid?.() === 0 ? {} : { podman: 'podman' };
  const ipt = (args: string[]) => {
    const [file, ...argv] = iptablesArgv(args, target);
    return execa(file!, argv, { reject: false, env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  };
  const rules = await ipt(['-S', ADMIN_CHAIN]);
  for (const line of rules.stdout.split('\n')) {
    const mine = [`hiy closed hiy-${instance}.`, `"hiy closed hiy-${instance}"`];
    if (!mine.some((m) => line.includes(m))) continue;
    const words = (line.slice(`-A ${ADMIN_CHAIN} `.length).match(/"[^"]*"|\S+/g) ?? []).map((w) =>
      w.replace(/^"|"$/g, ''),
    );
    await ipt(['-D', ADMIN_CHAIN, ...words]);
  }
  const networks = await lines(['network', 'ls', '-q', '--filter', filter]);
  if (networks.length > 0) await execa('podman', ['network', 'rm', '-f', ...networks], { reject: false });
}

/** Names of the Podman secrets labelled `hiy.instance=<instance>` (Podman 4.3 cannot filter secrets by label). */
export async function instanceSecrets(instance: string): Promise<string[]> {
  const ids = await lines(['secret', 'ls', '--quiet', '--noheading']);
  if (ids.length === 0) return [];
  const r = await execa('podman', ['secret', 'inspect', ...ids], { reject: false });
  const all = JSON.parse(r.stdout || '[]') as { Spec: { Name: string; Labels?: Record<string, string> } }[];
  return all.filter((s) => s.Spec.Labels?.[LABEL_INSTANCE] === instance).map((s) => s.Spec.Name);
}

/** Builds localhost/hiy/busybox:latest if missing, with the same script as setup.sh (it takes a lock). */
export async function ensureBusyboxImage(): Promise<string> {
  const exists = await execa('podman', ['image', 'exists', BUSYBOX_IMAGE], { reject: false });
  if (exists.exitCode !== 0) await execa(BUSYBOX_BUILD_SCRIPT, [BUSYBOX_IMAGE]);
  return BUSYBOX_IMAGE;
}

/** One line per container (or volume) of an instance, as `podman ps -a` / `podman volume ls` print `format`. */
export async function instanceObjects(
  what: 'containers' | 'volumes',
  instance: string,
  format: string,
): Promise<string[]> {
  const list = what === 'containers' ? ['ps', '-a'] : ['volume', 'ls'];
  const r = await execa('podman', [
    ...list,
    '--filter',
    `label=hiy.instance=${instance}`,
    '--format',
    format,
  ]);
  return r.stdout.split('\n').filter(Boolean);
}

/** The address of a container on the network `network` (`hiy-INSTANCE.port.db`: its own one). */
export async function addressOn(container: string, network: string): Promise<string> {
  const { stdout } = await execa('podman', [
    'inspect',
    container,
    '--format',
    `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
  ]);
  return stdout.trim();
}

/** Creates another instance's isolated network `hiy-INSTANCE` (labelled: cleanupInstance removes it). */
export async function createInstanceNetwork(instance: string): Promise<string> {
  const name = `hiy-${instance}`;
  await execa('podman', [
    'network',
    'create',
    '--opt',
    'isolate=true',
    '--label',
    `${LABEL_INSTANCE}=${instance}`,
    name,
  ]);
  return name;
}

/**
 * Runs a throwaway container on `network` (default `hiy-INSTANCE`; `podman` is Podman's default network), labelled
 * with that instance: `args` are what follows the options (`[IMAGE, …]` or `['--entrypoint', X, IMAGE, …]`);
 * never rejects.
 */
export function runOnNetwork(instance: string, args: string[], network = `hiy-${instance}`) {
  return execa(
    'podman',
    ['run', '--rm', '--network', network, '--label', `${LABEL_INSTANCE}=${instance}`, ...args],
    { reject: false, timeout: 30_000, all: true },
  );
}

/**
 * What a failed apply of INSTANCE needs for a diagnosis on a machine we cannot log in to (CI): the instance's
 * containers and networks with their addresses, the host's routes, and the loopback DNATs Podman made.
 */
export async function networkDiagnostics(instance: string): Promise<string> {
  const run = async (cmd: string, args: string[]) => {
    const r = await execa(cmd, args, { reject: false, timeout: 30_000, stdin: 'ignore' });
    return `$ ${cmd} ${args.join(' ')}\n${(r.stdout + r.stderr).trim()}`;
  };
  return [
    await run('podman', [
      'ps',
      '-a',
      '--filter',
      `name=hiy-${instance}`,
      '--format',
      '{{.Names}} {{.Status}} {{.Ports}} {{.Networks}}',
    ]),
    await run('podman', [
      'network',
      'ls',
      '--filter',
      `name=hiy-${instance}`,
      '--format',
      '{{.Name}} {{.Subnets}}',
    ]),
    await run('ip', ['-4', 'route']),
    await run('iptables', ['-w', '10', '-t', 'nat', '-S', 'CNI-HOSTPORT-DNAT']),
  ].join('\n');
}
