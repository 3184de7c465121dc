// The real Podman driver: runs the pure argv builders with execa, never through a shell. Each operation lives
// with its kind (containers.ts, exec.ts, images.ts, networks.ts, volumes.ts, build.ts); calls.ts runs podman.
import type { ExternalCalls } from '../externalCalls.js';
import {
  imageRmArgv,
  initArgv,
  renameArgv,
  rmArgv,
  SECRET_VALUE_VAR,
  secretCreateArgv,
  startArgv,
  stopArgv,
  unpauseArgv,
  volumeCreateArgv,
  volumeExportArgv,
  volumeImportArgv,
  volumeRmArgv,
} from './argv.js';
import { buildImage } from './build.js';
import { PodmanCalls } from './calls.js';
import { listContainers, runContainer, runHook, runOneOff } from './containers.js';
import { exec, execAttached, logs } from './exec.js';
import { imageExists, inspectImage, inspectImages, listDanglingImages } from './images.js';
import { ensureNetwork } from './networks.js';
import type {
  AttachOptions,
  BuildSpec,
  ContainerInfo,
  HookResult,
  ImageInfo,
  LogsOptions,
  OutputSink,
  PodmanDriver,
  RunSpec,
  SecretInfo,
  VolumeFileCount,
  VolumeInfo,
} from './types.js';
import { countVolumeFiles, emptyVolumeFiles, listSecrets, listVolumes, removeSecret } from './volumes.js';

/** How the runner calls Podman. */
export interface PodmanCliOptions {
  /** The podman binary; default `podman` (looked up on PATH). */
  binary?: string;
  /** Timeout of every call but builds and execs; default 60 s. */
  timeoutMs?: number;
  /** Timeout of a build; default 30 min. */
  buildTimeoutMs?: number;
  /** Timeout of a volume export or import (they scale with the data); default 30 min. */
  transferTimeoutMs?: number;
  /** Host path of a static busybox, mounted into containers with secretEnv to run the shim; default /bin/busybox. */
  shimBinary?: string;
  /**
   * Whether Podman is rootless (volume files are then walked under `podman unshare`); default: asked of
   * Podman itself on first need, never guessed from this process's uid.
   */
  rootless?: boolean;
  /** Counts every podman process started (the daemon's `hiy_external_calls_total{target="podman"}`). */
  externalCalls?: ExternalCalls;
}

/** {@link PodmanDriver} over the podman CLI. `calls` counts every podman process started. */
export class PodmanCli implements PodmanDriver {
  private readonly podman: PodmanCalls;
  private readonly buildTimeoutMs: number;
  private readonly transferTimeoutMs: number;
  private readonly shimBinary: string;

  constructor(options: PodmanCliOptions = {}) {
    this.podman = new PodmanCalls(
      options.binary ?? 'podman',
      options.timeoutMs ?? 60_000,
      options.externalCalls,
      options.rootless,
    );
    this.buildTimeoutMs = options.buildTimeoutMs ?? 30 * 60_000;
    this.transferTimeoutMs = options.transferTimeoutMs ?? 30 * 60_000;
    this.shimBinary = options.shimBinary ?? '/bin/busybox';
  }

  /** Number of podman invocations so far (benchmarks count external calls). */
  get calls(): number {
    return this.podman.count;
  }

  /** The binary this runner calls (the event follower starts the same one). */
  get podmanBinary(): string {
    return this.podman.binary;
  }

  /** The one counting point of podman processes: every call, attached call and event stream counts. */
  counted(): void {
    this.podman.counted();
  }

  /** Timeout of a stop or a removal: the call's own, plus the time the container is given to stop. */
  private stopTimeout(timeoutSeconds: number): { timeoutMs: number } {
    return { timeoutMs: this.podman.timeoutMs + timeoutSeconds * 1000 };
  }

  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    return listContainers(this.podman, labels);
  }

  listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    return listVolumes(this.podman, labels);
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.podman.call(volumeCreateArgv(name, labels));
  }

  async removeVolume(name: string): Promise<void> {
    await this.podman.call(volumeRmArgv(name));
  }

  runContainer(spec: RunSpec): Promise<string> {
    return runContainer(this.podman, spec, {
      shimBinary: this.shimBinary,
      pullTimeoutMs: this.buildTimeoutMs,
    });
  }

  runHook(spec: RunSpec, timeoutMs: number): Promise<HookResult> {
    return runHook(this.podman, spec, timeoutMs, this.shimBinary);
  }

  async startContainer(name: string): Promise<void> {
    await this.podman.call(startArgv(name));
  }

  async stopContainer(name: string, timeoutSeconds: number): Promise<void> {
    await this.podman.call(stopArgv(name, timeoutSeconds), this.stopTimeout(timeoutSeconds));
  }

  async unpauseContainer(name: string): Promise<void> {
    await this.podman.call(unpauseArgv(name));
  }

  async initContainer(name: string): Promise<void> {
    await this.podman.call(initArgv(name));
  }

  async removeContainer(name: string, timeoutSeconds: number): Promise<void> {
    await this.podman.call(rmArgv(name, timeoutSeconds), this.stopTimeout(timeoutSeconds));
  }

  async renameContainer(name: string, newName: string): Promise<void> {
    await this.podman.call(renameArgv(name, newName));
  }

  imageExists(ref: string): Promise<boolean> {
    return imageExists(this.podman, ref);
  }

  ensureNetwork(name: string, labels: Record<string, string>, internal = false): Promise<string> {
    return ensureNetwork(this.podman, name, labels, internal);
  }

  inspectImage(ref: string): Promise<ImageInfo | undefined> {
    return inspectImage(this.podman, ref);
  }

  listDanglingImages(labels: Record<string, string>): Promise<string[]> {
    return listDanglingImages(this.podman, labels);
  }

  async removeImage(id: string): Promise<void> {
    await this.podman.call(imageRmArgv(id));
  }

  inspectImages(refs: readonly string[]): Promise<Map<string, ImageInfo | undefined>> {
    return inspectImages(this.podman, refs);
  }

  buildImage(spec: BuildSpec, onLine?: (line: string) => void): Promise<void> {
    return buildImage(this.podman, spec, this.buildTimeoutMs, onLine);
  }

  exec(name: string, command: string[], timeoutMs: number): Promise<HookResult> {
    return exec(this.podman, name, command, timeoutMs);
  }

  logs(name: string, opts: LogsOptions, output: OutputSink): Promise<void> {
    return logs(this.podman, name, opts, output);
  }

  execAttached(
    name: string,
    command: string[],
    opts: AttachOptions & { secretShim?: boolean; user?: string },
  ): Promise<number> {
    return execAttached(this.podman, name, command, opts);
  }

  runOneOff(spec: RunSpec, opts: AttachOptions): Promise<number> {
    return runOneOff(this.podman, spec, opts, this.shimBinary);
  }

  async createSecret(name: string, value: string, labels: Record<string, string>): Promise<void> {
    await this.podman.call(secretCreateArgv(name, labels), { env: { [SECRET_VALUE_VAR]: value } });
  }

  listSecrets(labels: Record<string, string>): Promise<SecretInfo[]> {
    return listSecrets(this.podman, labels);
  }

  removeSecret(name: string): Promise<void> {
    return removeSecret(this.podman, name);
  }

  async exportVolume(name: string, file: string): Promise<void> {
    await this.podman.call(volumeExportArgv(name, file), { timeoutMs: this.transferTimeoutMs });
  }

  async importVolume(name: string, file: string): Promise<void> {
    await this.podman.call(volumeImportArgv(name, file), { timeoutMs: this.transferTimeoutMs });
  }

  countVolumeFiles(mountpoint: string): Promise<VolumeFileCount> {
    return countVolumeFiles(this.podman, mountpoint, this.transferTimeoutMs);
  }

  emptyVolumeFiles(mountpoint: string): Promise<void> {
    return emptyVolumeFiles(this.podman, mountpoint, this.transferTimeoutMs);
  }
}
