// The Podman driver interface: everything HIY asks of Podman, implemented by the real runner and by a fake.

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

/** Every failure of a Podman call: the argv, the exit code and stderr, never the environment. */
export class PodmanError extends Error {
  readonly code = 'PODMAN_FAILED';
  constructor(
    message: string,
    readonly data: { argv: string[]; exitCode?: number; stderr?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PodmanError';
  }
}

/** Podman as HIY uses it. Methods throw PodmanError on failure. */
export interface PodmanDriver {
  /** One call: all containers (running or not) carrying every given label. */
  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]>;
  /** One call: all volumes carrying every given label. */
  listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]>;
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** Deletes a volume and its data. Only ever called on an explicit user request. */
  removeVolume(name: string): Promise<void>;
  /** Creates and starts a container; returns its id. */
  runContainer(spec: RunSpec): Promise<string>;
  startContainer(name: string): Promise<void>;
  stopContainer(name: string, timeoutSeconds: number): Promise<void>;
  /** Removes a container, stopping it first (SIGTERM, then SIGKILL after the timeout). Absent is not an error. */
  removeContainer(name: string, timeoutSeconds: number): Promise<void>;
  renameContainer(name: string, newName: string): Promise<void>;
  imageExists(ref: string): Promise<boolean>;
  /** Builds an image; each output line goes to onLine as it comes. */
  buildImage(spec: BuildSpec, onLine?: (line: string) => void): Promise<void>;
  /** Runs a command in a running container; resolves to its exit code. */
  exec(name: string, command: string[], timeoutMs: number): Promise<number>;
  /** Creates a secret from a value passed on stdin (never in argv). Fails if the name is taken. */
  createSecret(name: string, value: string, labels: Record<string, string>): Promise<void>;
  /** All secrets carrying every given label (names and labels only). */
  listSecrets(labels: Record<string, string>): Promise<SecretInfo[]>;
  /** Removes a secret; absent is not an error. */
  removeSecret(name: string): Promise<void>;
  /** Writes the volume's content as a tar archive to `file` (a host path; replaced if present). */
  exportVolume(name: string, file: string): Promise<void>;
  /**
   * Extracts the tar archive `file` into an existing volume. Files are ADDED: what the volume already holds and
   * the archive does not name is kept, so an exact restore needs an empty volume.
   */
  importVolume(name: string, file: string): Promise<void>;
}
