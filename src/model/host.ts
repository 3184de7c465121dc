// What `hiy doctor` (and scripts/rootless.sh) check on the box: facts probed once, judged by pure functions.

/** One sub-id range of /etc/subuid or /etc/subgid. */
export interface SubIdRange {
  start: number;
  count: number;
}

/** What the box looks like to the user HIY runs as; gathered by src/drivers/host/probe.ts. */
export interface HostFacts {
  /** The user HIY runs as (its Podman is the one HIY drives). */
  user: string;
  /** Podman's own answer (`podman info`), or why it gave none. */
  podman: { ok: true; info: PodmanHostInfo } | { ok: false; error: string };
  /** The user's ranges in /etc/subuid and /etc/subgid (by name or uid). */
  subUids: SubIdRange[];
  subGids: SubIdRange[];
  /** Whether /dev/net/tun can be opened for reading and writing by this user. */
  tunUsable: boolean;
  /** net.ipv4.ip_unprivileged_port_start, when readable. */
  portFloor?: number;
  /** Whether PID 1 is systemd (lingering and podman-restart.service exist only there). */
  systemd: boolean;
  /** Whether the user lingers (systemd starts its services at boot without a login). */
  linger: boolean;
}

/** The parts of `podman info` the checks read. */
export interface PodmanHostInfo {
  rootless: boolean;
  graphDriver: string;
  cgroupVersion: string;
  /** Controllers the user's containers can use (`host.cgroupControllers`); empty on cgroup v1 rootless. */
  cgroupControllers: string[];
  /** slirp4netns's path, empty when Podman found none. */
  slirp4netns: string;
}

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** What was found, in one line. */
  detail: string;
}

export interface DoctorProblem {
  what: string;
  fix: string;
}

export interface DoctorReport {
  ok: boolean;
  user: string;
  rootless?: boolean;
  checks: DoctorCheck[];
  problems: DoctorProblem[];
}

/** The controllers a resource limit needs: memory, cpus → cpu, pids. */
export const LIMIT_CONTROLLERS = ['memory', 'cpu', 'pids'] as const;

/**
 * Whether Podman can enforce memory, cpu and pids limits for this user: always as root; rootless only on cgroup v2
 * with those controllers delegated (on cgroup v1 Podman accepts the flags and applies nothing).
 */
export function limitsEnforceable(info: PodmanHostInfo): { ok: boolean; missing: string[] } {
  if (!info.rootless) return { ok: true, missing: [] };
  if (info.cgroupVersion !== 'v2') return { ok: false, missing: [...LIMIT_CONTROLLERS] };
  const missing = LIMIT_CONTROLLERS.filter((c) => !info.cgroupControllers.includes(c));
  return { ok: missing.length === 0, missing };
}

/**
 * Why Podman cannot enforce resource limits for this user, in one sentence; undefined when it can. The same words
 * make `hiy doctor`'s check, the plan warning at a limit and the resource's LimitsEnforced condition.
 */
export function limitsNotEnforcedReason(info: PodmanHostInfo, user: string): string | undefined {
  const limits = limitsEnforceable(info);
  if (limits.ok) return undefined;
  return info.cgroupVersion === 'v2'
    ? `cgroup v2 does not delegate ${limits.missing.join(', ')} to ${user}: those limits are not enforced`
    : 'cgroup v1: memory, cpus and pids limits are not enforced for rootless containers';
}

const SETUP = 'run `bash scripts/setup.sh` as root (docs/rootless.md)';
const SUBID_MIN = 65536;

/** Judges the facts: every check, and one problem (what is wrong, how to fix it) per failed check. */
export function checkHost(f: HostFacts): DoctorReport {
  const checks: DoctorCheck[] = [];
  const problems: DoctorProblem[] = [];
  const add = (name: string, ok: boolean, detail: string, fix?: string) => {
    checks.push({ name, ok, detail });
    if (!ok && fix) problems.push({ what: `${name}: ${detail}`, fix });
  };
  if (!f.podman.ok) {
    add(
      'podman',
      false,
      `podman info failed: ${f.podman.error}`,
      `check \`podman info\` as ${f.user}; ${SETUP}`,
    );
    return { ok: false, user: f.user, checks, problems };
  }
  const info = f.podman.info;
  add(
    'podman',
    true,
    info.rootless ? `rootless, as ${f.user}` : `as ${f.user} (root: every container runs as root's)`,
  );
  if (info.rootless) {
    const subIds = (name: string, ranges: SubIdRange[], file: string) => {
      const total = ranges.reduce((n, r) => n + r.count, 0);
      add(
        name,
        total >= SUBID_MIN,
        total === 0 ? `${f.user} has none in ${file}` : `${total} in ${file}`,
        `give ${f.user} at least ${SUBID_MIN}: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${f.user} (or ${SETUP})`,
      );
    };
    subIds('sub-uids', f.subUids, '/etc/subuid');
    subIds('sub-gids', f.subGids, '/etc/subgid');
    add(
      'storage',
      info.graphDriver === 'overlay',
      `${info.graphDriver} storage`,
      info.graphDriver === 'vfs'
        ? `vfs copies the whole image for each container: ${SETUP} (it writes an overlay storage.conf; a non-empty vfs store must be emptied first)`
        : SETUP,
    );
    add(
      'slirp4netns',
      info.slirp4netns !== '',
      info.slirp4netns || 'not found',
      'apt-get install slirp4netns (or run scripts/setup.sh)',
    );
    add(
      '/dev/net/tun',
      f.tunUsable,
      f.tunUsable ? 'usable' : `not usable by ${f.user}`,
      'chmod 0666 /dev/net/tun (Debian’s default mode), or run scripts/setup.sh',
    );
    const limits = limitsEnforceable(info);
    add(
      'resource limits',
      limits.ok,
      limitsNotEnforcedReason(info, f.user) ??
        `cgroup ${info.cgroupVersion} delegates ${LIMIT_CONTROLLERS.join(', ')}`,
      info.cgroupVersion === 'v2'
        ? 'delegate the controllers to the user (systemd: Delegate=memory pids cpu in user@.service.d/delegate.conf)'
        : 'boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or accept unenforced limits',
    );
    if (f.portFloor !== undefined) {
      const ok = f.portFloor <= 80;
      add(
        'port floor',
        ok,
        `net.ipv4.ip_unprivileged_port_start = ${f.portFloor}${ok ? '' : `: host ports below ${f.portFloor} cannot be published`}`,
        `only if you publish such ports: sysctl net.ipv4.ip_unprivileged_port_start=25 (box-wide: every user may then bind them; HIY_UNPRIVILEGED_PORT_START=25 scripts/rootless.sh makes it permanent)`,
      );
    }
    add(
      'reboots',
      f.systemd && f.linger,
      !f.systemd
        ? 'no systemd as PID 1: nothing restarts the containers after a reboot'
        : f.linger
          ? `${f.user} lingers (podman-restart.service can start at boot)`
          : `${f.user} does not linger: its containers stay down after a reboot`,
      f.systemd
        ? `loginctl enable-linger ${f.user} && runuser -u ${f.user} -- systemctl --user enable podman-restart.service`
        : 'start `podman start --all --filter restart-policy=always` as the user from the init system at boot (docs/rootless.md)',
    );
  }
  return { ok: problems.length === 0, user: f.user, rootless: info.rootless, checks, problems };
}
