// The Podman driver interface: everything HIY asks of Podman, implemented by the real runner and by a fake.

import type {
  BuildSpec,
  ContainerInfo,
  HookResult,
  ImageCommand,
  ImageInfo,
  PortMapping,
  RunSpec,
  SecretInfo,
  VolumeInfo,
} from '../../model/containers.js';
import { HiyError } from '../../model/errors.js';
import type { VolumeFileCount } from './volumeFiles.js';

export type {
  BuildSpec,
  ContainerInfo,
  HookResult,
  ImageCommand,
  ImageInfo,
  PortMapping,
  RunSpec,
  SecretInfo,
  VolumeFileCount,
  VolumeInfo,
};

/** Every failure of a Podman call: the argv, the exit code and stderr, never the environment. */
export class PodmanError extends HiyError<{
  argv: string[];
  exitCode?: number;
  stderr?: string;
  /** Set when HIY stopped the command on purpose (a build cancelled or over its time limit): why. */
  stopped?: string;
}> {
  constructor(
    message: string,
    data: { argv: string[]; exitCode?: number; stderr?: string; stopped?: string },
    options?: { cause?: unknown },
  ) {
    super('PODMAN_FAILED', message, { data, ...options });
    this.name = 'PodmanError';
  }
}

/** Where the output of an attached call goes: this process's own stdout/stderr, or handed over as it comes. */
export type OutputSink = 'inherit' | { stdout(chunk: string): void; stderr(chunk: string): void };

/** `podman logs` options. */
export interface LogsOptions {
  /** Keep streaming until the container stops or `signal` aborts. */
  follow?: boolean;
  /** Only output since this duration ago (`10m`) or time, as podman's --since takes it. */
  since?: string;
  /** Only the last N lines. */
  tail?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

/** How a command runs attached to the caller (exec, one-off run). */
export interface AttachOptions {
  output: OutputSink;
  /** Pass this process's stdin on (podman -i); only with output `inherit`. */
  interactive?: boolean;
  /** Allocate a pseudo-terminal (podman -t); stdin must be a terminal. */
  tty?: boolean;
  /** Stop after this long (a one-off container is then removed); exit code 124, as timeout(1) says. */
  timeoutMs?: number;
  signal?: AbortSignal;
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
  /** Stops a container; also finishes a stop that was cut short (a container left `stopping`). */
  stopContainer(name: string, timeoutSeconds: number): Promise<void>;
  /** Resumes a paused container (fails when it is not paused). */
  unpauseContainer(name: string): Promise<void>;
  /**
   * `podman init`: creates a created container in the runtime without starting it. Failing on the leftover of
   * a `podman run` killed half-way, it cleans that leftover up (see apply/ensureRunning.ts).
   */
  initContainer(name: string): Promise<void>;
  /** Removes a container, stopping it first (SIGTERM, then SIGKILL after the timeout). Absent is not an error. */
  removeContainer(name: string, timeoutSeconds: number): Promise<void>;
  renameContainer(name: string, newName: string): Promise<void>;
  imageExists(ref: string): Promise<boolean>;
  /**
   * Creates the network if it is missing, isolated or (`internal`) internal; resolves to its IPv4 subnet
   * (`10.89.3.0/24`).
   */
  ensureNetwork(name: string, labels: Record<string, string>, internal?: boolean): Promise<string>;
  /** One call: the image's id and labels; undefined when there is no such image on the box. */
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  /** The ids of the untagged images no other image builds on (dangling) carrying every given label. */
  listDanglingImages(labels: Record<string, string>): Promise<string[]>;
  /** Removes an image and its parent layers no other image uses; an absent one is not an error. */
  removeImage(id: string): Promise<void>;
  /** One call for several images: each reference's id and labels, undefined for those not on the box. */
  inspectImages?(refs: readonly string[]): Promise<Map<string, ImageInfo | undefined>>;
  /** Builds an image; each output line goes to onLine as it comes. */
  buildImage(spec: BuildSpec, onLine?: (line: string) => void): Promise<void>;
  /** Runs a command in a running container; resolves to its exit code and the last 64 KiB of its output. */
  exec(name: string, command: string[], timeoutMs: number): Promise<HookResult>;
  /** The container's output as `podman logs` gives it; with follow, until it stops or the signal aborts. */
  logs(name: string, opts: LogsOptions, output: OutputSink): Promise<void>;
  /**
   * Runs a command in a running container, attached, with the container's environment; `secretShim` runs it
   * through the secret shim so it sees secretEnv too. Resolves to the command's exit code.
   */
  execAttached(
    name: string,
    command: string[],
    opts: AttachOptions & { secretShim?: boolean; user?: string },
  ): Promise<number>;
  /** Runs a one-off container attached (`podman run --rm`) and resolves to its exit code; it is removed after. */
  runOneOff(spec: RunSpec, opts: AttachOptions): Promise<number>;
  /**
   * Runs a one-off container to completion (`podman run --rm`, attached) and resolves to its exit code and the
   * last 64 KiB of its output; after `timeoutMs` it is removed and the exit code is 124. Podman's own
   * failures (exit 125) throw.
   */
  runHook(spec: RunSpec, timeoutMs: number): Promise<HookResult>;
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
  /**
   * Counts what a volume's host directory (its mountpoint) holds, as Podman's containers see it: rootless, a
   * volume written by a non-root container user is owned by sub-uids this process may not read, so the walk
   * runs in Podman's user namespace (`podman unshare`).
   */
  countVolumeFiles(mountpoint: string): Promise<VolumeFileCount>;
  /** Removes everything inside a volume's host directory (the directory stays), as countVolumeFiles reads it. */
  emptyVolumeFiles(mountpoint: string): Promise<void>;
}
