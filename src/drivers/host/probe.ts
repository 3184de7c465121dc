// Probes the facts `hiy doctor` judges (src/model/host.ts): podman info, sub-ids, /dev/net/tun, sysctls, systemd.

import { constants } from 'node:fs';
import { access, readFile, statfs } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { execa } from 'execa';
import { errorMessage } from '../../model/errors.js';
import {
  type HostFacts,
  limitsNotEnforcedReason,
  type PodmanHostInfo,
  type SubIdRange,
} from '../../model/host.js';
import { podmanErrorLine } from '../podman/errorLine.js';

/** Where the probe looks; tests point it at their own files. */
export interface HostPaths {
  subuid: string;
  subgid: string;
  tun: string;
  portFloor: string;
  pid1Comm: string;
  lingerDir: string;
}

export const HOST_PATHS: HostPaths = {
  subuid: '/etc/subuid',
  subgid: '/etc/subgid',
  tun: '/dev/net/tun',
  portFloor: '/proc/sys/net/ipv4/ip_unprivileged_port_start',
  pid1Comm: '/proc/1/comm',
  lingerDir: '/var/lib/systemd/linger',
};

const read = (path: string) => readFile(path, 'utf8').catch(() => undefined);

/** The ranges of `user` (by name or uid) in a sub-id file's `name:start:count` lines. */
export function parseSubIds(text: string | undefined, user: string, uid: number): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if ((who === user || who === String(uid)) && Number(start) >= 0 && Number(count) > 0) {
      out.push({ start: Number(start), count: Number(count) });
    }
  }
  return out;
}

/** `podman info` reduced to what the checks read; podman's error line (never a warning) on failure. */
export async function podmanHostInfo(binary: string): Promise<HostFacts['podman']> {
  const r = await execa(binary, ['info', '--format', 'json'], { reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) {
    return { ok: false, error: podmanErrorLine(String(r.stderr)) || `exit ${r.exitCode}` };
  }
  try {
    const j = JSON.parse(String(r.stdout));
    const info: PodmanHostInfo = {
      rootless: j.host?.security?.rootless === true,
      graphDriver: String(j.store?.graphDriverName ?? ''),
      cgroupVersion: String(j.host?.cgroupVersion ?? ''),
      cgroupControllers: Array.isArray(j.host?.cgroupControllers) ? j.host.cgroupControllers.map(String) : [],
      slirp4netns: String(j.host?.slirp4netns?.executable ?? ''),
    };
    return { ok: true, info };
  } catch (err) {
    return { ok: false, error: `podman info printed no JSON: ${errorMessage(err)}` };
  }
}

/** uid 0 in the box's own user namespace (whose uid_map is the identity): root's Podman, not rootless. */
export async function privileged(): Promise<boolean> {
  const map = (await read('/proc/self/uid_map'))?.trim().split(/\s+/);
  return process.geteuid?.() === 0 && map?.join(' ') === '0 0 4294967295';
}

/** statfs type of a cgroup v2 (unified) mount. */
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * Why this process's Podman cannot enforce resource limits, or undefined when it can; from files, as Podman
 * itself decides (no `podman info`, which costs ~0.5 s at every start): privileged, it can; rootless, only on
 * cgroup v2 with memory, cpu and pids delegated to the user's `user@UID.service` (inside `podman unshare` the
 * user is `_CONTAINERS_ROOTLESS_UID`, as Podman says).
 */
export async function limitsNotEnforced(cgroupRoot = '/sys/fs/cgroup'): Promise<string | undefined> {
  if (await privileged()) return undefined;
  const v2 = await statfs(cgroupRoot).then(
    (s) => s.type === CGROUP2_SUPER_MAGIC,
    () => false,
  );
  const uid = Number(process.env._CONTAINERS_ROOTLESS_UID ?? process.getuid?.() ?? 0);
  const controllers = v2
    ? (
        (await read(`${cgroupRoot}/user.slice/user-${uid}.slice/user@${uid}.service/cgroup.controllers`)) ??
        ''
      )
        .trim()
        .split(/\s+/)
        .filter(Boolean)
    : [];
  const info = {
    rootless: true,
    graphDriver: '',
    cgroupVersion: v2 ? 'v2' : 'v1',
    cgroupControllers: controllers,
    slirp4netns: '',
  };
  return limitsNotEnforcedReason(info, userInfo().username);
}

/**
 * The lowest host port this process's Podman may publish: undefined when it is privileged (uid 0 in the box's
 * own user namespace, whose uid_map is the identity), else net.ipv4.ip_unprivileged_port_start. Inside
 * `podman unshare` the uid is 0 but the map is not the identity, so that counts as unprivileged.
 */
export async function hostPortFloor(paths: HostPaths = HOST_PATHS): Promise<number | undefined> {
  if (await privileged()) return undefined;
  const floor = Number.parseInt((await read(paths.portFloor)) ?? '', 10);
  return Number.isFinite(floor) && floor > 0 ? floor : undefined;
}

/** Gathers the facts for the user this process runs as. */
export async function probeHost(opts: { podman: string; paths?: HostPaths }): Promise<HostFacts> {
  const p = opts.paths ?? HOST_PATHS;
  const me = userInfo();
  const [podman, subuid, subgid, tunUsable, floor, pid1, linger] = await Promise.all([
    podmanHostInfo(opts.podman),
    read(p.subuid),
    read(p.subgid),
    access(p.tun, constants.R_OK | constants.W_OK).then(
      () => true,
      () => false,
    ),
    read(p.portFloor),
    read(p.pid1Comm),
    access(`${p.lingerDir}/${me.username}`).then(
      () => true,
      () => false,
    ),
  ]);
  const portFloor = Number.parseInt(floor ?? '', 10);
  return {
    user: me.username,
    podman,
    subUids: parseSubIds(subuid, me.username, me.uid),
    subGids: parseSubIds(subgid, me.username, me.uid),
    tunUsable,
    ...(Number.isFinite(portFloor) ? { portFloor } : {}),
    systemd: pid1?.trim() === 'systemd',
    linger,
  };
}
