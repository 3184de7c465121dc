// Containers, volumes, images and secrets as HIY describes them: what observation reports and what apply runs.

/** A port published on the host. */
export interface PortMapping {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

/** A container as `podman ps -a --format json` reports it. */
export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  imageId: string;
  /** created, running, exited, paused, stopped… as Podman says. */
  state: string;
  labels: Record<string, string>;
  ports: PortMapping[];
  /** Seconds since the epoch. */
  createdAt: number;
  /** The networks it is on (`Networks` of `podman ps`); absent when not reported. */
  networks?: string[];
}

/** A volume as `podman volume ls --format json` reports it. */
export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
  mountpoint: string;
}

/** Everything needed to run a container; the argv is built from it by a pure function. */
export interface RunSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  /**
   * Variables taken from Podman secrets (`podman secret create`), by secret name. They are mounted as files
   * (`type=mount`) and exported by a small shim before the real command runs, because Podman before 5.3 shows
   * `type=env` secret values in `podman inspect` (containers/podman#23788).
   */
  secretEnv?: { env: string; secret: string }[];
  /** Replaces the image entrypoint (Kubernetes `command`). */
  entrypoint?: string[];
  /** Replaces the image command (Kubernetes `args`). */
  args?: string[];
  volumes: { source: string; target: string; readOnly: boolean }[];
  publish: { hostIp?: string; hostPort: number; containerPort: number; protocol: 'tcp' | 'udp' }[];
  restart: 'always' | 'unless-stopped' | 'on-failure' | 'no';
  memoryBytes?: number;
  cpus?: number;
  stopTimeoutSeconds: number;
  /**
   * Its networks (docs/ports.md): its own one `name` (under `aliases`), and the internal network of each link;
   * on a link it serves it is at a fixed `ip` and `mac` (a new MAC behind the same address would leave the
   * linker's ARP entry stale for seconds after every replacement). `hosts`: the linked workloads' addresses.
   */
  network?: {
    name: string;
    aliases: string[];
    links?: { name: string; ip?: string; mac?: string }[];
    hosts?: Record<string, string>;
  };
}

export interface BuildSpec {
  contextDir: string;
  /** Absolute path of the Dockerfile/Containerfile. */
  file: string;
  tag: string;
  labels: Record<string, string>;
  /** Resource caps for the build, where the host supports them. */
  memoryBytes?: number;
  cpus?: number;
  /** Longest the build may take; absent: the driver's default. The build is stopped when it is over. */
  timeoutMs?: number;
  /** Stops the build (its running step is killed, podman fails the build); the reason ends up in the error. */
  signal?: AbortSignal;
}

/** A Podman secret as HIY sees it: name and labels, never the value. */
export interface SecretInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** An image's own command: what runs when a container gives neither entrypoint nor args. */
export interface ImageCommand {
  entrypoint: string[];
  cmd: string[];
}

/** How a one-off container or an exec ended: its exit code and the last 64 KiB of its output (stdout and stderr). */
export interface HookResult {
  exitCode: number;
  output: string;
}

/** An image as `podman image inspect` reports it: its id and labels. */
export interface ImageInfo {
  id: string;
  labels: Record<string, string>;
  /** Bytes, as `podman image inspect` reports it (absent from fakes). */
  size?: number;
}
