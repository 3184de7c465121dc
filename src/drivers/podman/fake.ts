// An in-memory Podman held to the same contract tests as the real runner. Its containers' records, volumes and
// exec answers are in fakeContainers.ts, fakeVolumes.ts and fakeExec.ts.
import { randomBytes } from 'node:crypto';
import { hasLabels } from './argv.js';
import {
  containerInfo,
  type FakeContainer,
  type FakeContainerState,
  fail,
  portConflict,
  toPorts,
} from './fakeContainers.js';
import { attachedAnswer, defaultExec, execResult, type FakeExecHandler, FakeLogs } from './fakeExec.js';
import { FakeImages } from './fakeImages.js';
import { FakeSecrets } from './fakeSecrets.js';
import { FakeVolumes } from './fakeVolumes.js';
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
import { countDirectly, emptyDirectly } from './volumeFiles.js';

export type { FakeContainerState } from './fakeContainers.js';
export { normalizeImageRef } from './fakeContainers.js';
export type { FakeExecHandler } from './fakeExec.js';

/**
 * {@link PodmanDriver} in memory. Set `unreachable` to make every call fail as if Podman were down;
 * `calls` counts calls the way the real runner counts podman processes.
 */
export class FakePodman implements PodmanDriver {
  calls = 0;
  /**
   * Where volumes keep their files: `<volumesRoot>/<name>/_data` is each volume's mountpoint, a real directory
   * as with Podman (snapshots count files there, a restore empties it). Default: one temp dir per process,
   * removed when the process exits.
   */
  get volumesRoot(): string {
    return this.volumes.root;
  }
  /** When true every call throws a PodmanError, as when the podman binary or its storage is unusable. */
  unreachable = false;
  /** Decides exec exit codes. */
  execHandler: FakeExecHandler = defaultExec;
  /** Decides how one-off containers (hooks) end; every one succeeds with no output by default. */
  hookHandler: (spec: RunSpec) => HookResult = () => ({ exitCode: 0, output: '' });
  /** The one-off containers run, in order. */
  readonly hooksRun: RunSpec[] = [];
  private readonly containers = new Map<string, FakeContainer>();
  private readonly volumes: FakeVolumes;
  private readonly images = new FakeImages();
  /** Networks: name → subnet and labels. */
  readonly networks = new Map<
    string,
    { subnet: string; labels: Record<string, string>; internal: boolean }
  >();
  /** Untagged images no other image builds on (a build stage's leftovers): id → labels. */
  readonly danglingImages = this.images.dangling;
  private readonly secrets = new FakeSecrets();
  private clock = 1_700_000_000;
  /** Each container's output, by container id (a rename keeps it, as Podman's log file does). */
  private readonly output = new FakeLogs();
  /** One-off containers run so far (their specs), for tests. */
  readonly oneOffs: RunSpec[] = [];
  /** Every attached exec, with the user it ran as (absent: the image's). */
  readonly execs: { name: string; command: string[]; user?: string }[] = [];

  constructor(opts: { volumesRoot?: string } = {}) {
    this.volumes = new FakeVolumes(opts.volumesRoot);
  }

  /** Makes an image exist, as if built or imported; labels as `podman build --label` gives them. */
  addImage(ref: string, labels: Record<string, string> = {}): void {
    this.images.add(ref, labels);
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    this.enter(['ps']);
    return [...this.containers.values()].filter((c) => hasLabels(c.spec.labels, labels)).map(containerInfo);
  }

  async listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    this.enter(['volume', 'ls']);
    return this.volumes.list(labels);
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    const argv = this.enter(['volume', 'create', name]);
    if (this.volumes.has(name))
      fail(argv, 125, `volume with name ${name} already exists: volume already exists`);
    this.volumes.add(name, labels);
  }

  async removeVolume(name: string): Promise<void> {
    const argv = this.enter(['volume', 'rm', name]);
    if (!this.volumes.has(name)) fail(argv, 1, `no volume with name "${name}" found: no such volume`);
    const users = [...this.containers.values()].filter((c) => c.spec.volumes.some((v) => v.source === name));
    if (users.length > 0) {
      fail(
        argv,
        2,
        `volume ${name} is being used by the following container(s): ${users.map((c) => c.id).join(', ')}`,
      );
    }
    this.volumes.remove(name);
  }

  async runContainer(spec: RunSpec): Promise<string> {
    const argv = this.enter(['run', spec.name]);
    const imageId = this.images.idOf(spec.image);
    if (!imageId) fail(argv, 125, `${spec.image}: image not known`);
    this.secrets.requireAll(argv, spec);
    const holder = this.containers.get(spec.name);
    if (holder) fail(argv, 125, `the container name "${spec.name}" is already in use by ${holder.id}`);
    const networks = spec.network
      ? [spec.network.name, ...(spec.network.links ?? []).map((l) => l.name)]
      : ['podman'];
    for (const n of spec.network ? networks : [])
      if (!this.networks.has(n))
        fail(argv, 125, `unable to find network with name or ID ${n}: network not found`);
    const busy = portConflict(this.containers.values(), toPorts(spec), undefined);
    if (busy)
      fail(
        argv,
        126,
        `cannot listen on ${busy.hostIp}:${busy.hostPort}/${busy.protocol}: bind: address already in use`,
      );
    for (const v of spec.volumes) {
      // Like Podman, a named volume that does not exist yet is created (unlabelled); bind paths are not volumes.
      if (!v.source.startsWith('/') && !this.volumes.has(v.source)) this.volumes.add(v.source, {});
    }
    const c: FakeContainer = {
      id: randomBytes(32).toString('hex'),
      spec: structuredClone(spec),
      name: spec.name,
      imageId: imageId ?? '',
      state: 'running',
      createdAt: this.clock++,
      networks,
    };
    this.containers.set(c.name, c);
    return c.id;
  }

  /** Takes a container off a network, as `podman network disconnect` does. */
  disconnectNetwork(network: string, name: string): void {
    const c = this.find(['network', 'disconnect', network, name], name);
    c.networks = c.networks.filter((n) => n !== network);
  }

  /** Puts a container in a state, as a pause or a `podman stop` killed half-way would leave it. */
  setContainerState(name: string, state: FakeContainerState): void {
    this.find(['inspect', name], name).state = state;
  }

  async runHook(spec: RunSpec, _timeoutMs: number): Promise<HookResult> {
    const argv = this.enter(['run', '--rm', spec.name]);
    if (this.images.idOf(spec.image) === undefined) fail(argv, 125, `${spec.image}: image not known`);
    this.hooksRun.push(spec);
    return this.hookHandler(spec);
  }

  async startContainer(name: string): Promise<void> {
    const c = this.find(this.enter(['start', name]), name);
    if (c.state === 'running') return;
    if (c.state === 'paused' || c.state === 'stopping')
      fail(
        ['start', name],
        125,
        `unable to start container "${c.id}": container ${c.id} must be in Created or Stopped state to be started: container state improper`,
      );
    const busy = portConflict(this.containers.values(), toPorts(c.spec), c);
    if (busy) fail(['start', name], 125, `${busy.hostIp}:${busy.hostPort}: bind: address already in use`);
    c.state = 'running';
  }

  async stopContainer(name: string, _timeoutSeconds: number): Promise<void> {
    const c = this.find(this.enter(['stop', name]), name);
    if (c.state === 'paused')
      fail(
        ['stop', name],
        125,
        `container ${c.id} is running or paused, refusing to clean up: container state improper`,
      );
    if (c.state !== 'created') c.state = 'exited';
  }

  async initContainer(name: string): Promise<void> {
    const c = this.find(this.enter(['init', name]), name);
    if (c.state !== 'created' && c.state !== 'exited')
      fail(
        ['init', name],
        125,
        `container ${c.id} has already been created in runtime: container state improper`,
      );
  }

  async unpauseContainer(name: string): Promise<void> {
    const c = this.find(this.enter(['unpause', name]), name);
    if (c.state !== 'paused')
      fail(['unpause', name], 125, `"${c.id}" is not paused, can't unpause: container state improper`);
    c.state = 'running';
  }

  async removeContainer(name: string, _timeoutSeconds: number): Promise<void> {
    this.enter(['rm', name]);
    this.containers.delete(name);
  }

  async renameContainer(name: string, newName: string): Promise<void> {
    const argv = this.enter(['rename', name, newName]);
    const c = this.find(argv, name);
    if (name === newName) return;
    const holder = this.containers.get(newName);
    if (holder) fail(argv, 125, `the container name "${newName}" is already in use by ${holder.id}`);
    this.containers.delete(name);
    c.name = newName;
    c.spec.name = newName;
    this.containers.set(newName, c);
  }

  async imageExists(ref: string): Promise<boolean> {
    this.enter(['image', 'exists', ref]);
    return this.images.idOf(ref) !== undefined;
  }

  async ensureNetwork(name: string, labels: Record<string, string>, internal = false): Promise<string> {
    this.enter(['network', 'exists', name]);
    if (!this.networks.has(name)) {
      this.enter(['network', 'create', name]);
      const subnet = `10.89.${this.networks.size + 1}.0/24`;
      this.networks.set(name, { subnet, labels: { ...labels }, internal });
    }
    this.enter(['network', 'inspect', name]);
    return this.networks.get(name)!.subnet;
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    this.enter(['image', 'inspect', ref]);
    return this.images.inspect(ref);
  }

  async listDanglingImages(labels: Record<string, string>): Promise<string[]> {
    this.enter(['images', '--filter', 'dangling=true']);
    return this.images.danglingWith(labels);
  }

  async removeImage(id: string): Promise<void> {
    this.enter(['rmi', id]);
    this.danglingImages.delete(id);
  }

  async inspectImages(refs: readonly string[]): Promise<Map<string, ImageInfo | undefined>> {
    this.enter(['image', 'inspect', ...refs]);
    return this.images.inspectAll(refs);
  }

  async buildImage(spec: BuildSpec, onLine?: (line: string) => void): Promise<void> {
    this.enter(['build', spec.tag]);
    this.images.build(spec, onLine);
  }

  async exec(name: string, command: string[], _timeoutMs: number): Promise<HookResult> {
    const argv = this.enter(['exec', name, ...command]);
    const c = this.find(argv, name);
    if (c.state !== 'running') fail(argv, 125, 'can only create exec sessions on running containers');
    return execResult(this.execHandler(name, command));
  }

  /** Appends lines to a container's output, as its process would print them. */
  print(name: string, ...lines: string[]): void {
    const c = this.containers.get(name);
    if (!c) throw new Error(`fake: no container ${name}`);
    this.output.append(c.id, lines);
  }

  async logs(name: string, opts: LogsOptions, output: OutputSink): Promise<void> {
    const argv = this.enter(['logs', name]);
    const c = this.find(argv, name);
    // Like `podman logs -f`: new output streams until the container stops (or is removed) or the caller aborts.
    const running = () => this.containers.get(c.name)?.id === c.id && c.state === 'running';
    await this.output.stream(c.id, opts, output, running);
  }

  async execAttached(
    name: string,
    command: string[],
    opts: AttachOptions & { secretShim?: boolean; user?: string },
  ): Promise<number> {
    const argv = this.enter(['exec', ...(opts.user ? ['--user', opts.user] : []), name, ...command]);
    const c = this.find(argv, name);
    this.execs.push({ name, command: [...command], ...(opts.user && { user: opts.user }) });
    if (c.state !== 'running') fail(argv, 125, 'can only create exec sessions on running containers');
    // Without the shim an exec'd process sees only the plain env, as in a real container.
    const env = opts.secretShim ? this.containerEnv(name)! : { ...c.spec.env };
    return attachedAnswer(this.execHandler, { name, command, env }, opts.output);
  }

  async runOneOff(spec: RunSpec, opts: AttachOptions): Promise<number> {
    const argv = this.enter(['run', '--rm', spec.name]);
    if (this.images.idOf(spec.image) === undefined) fail(argv, 125, `${spec.image}: image not known`);
    if (this.containers.has(spec.name))
      fail(argv, 125, `the container name "${spec.name}" is already in use`);
    this.secrets.requireAll(argv, spec);
    this.oneOffs.push(structuredClone(spec));
    const env = this.secrets.envOf(spec);
    return attachedAnswer(
      this.execHandler,
      { name: spec.name, command: spec.entrypoint ?? [], env },
      opts.output,
    );
  }

  async createSecret(name: string, value: string, labels: Record<string, string>): Promise<void> {
    const argv = this.enter(['secret', 'create', name, '-']);
    this.secrets.create(argv, name, value, labels);
  }

  async listSecrets(labels: Record<string, string>): Promise<SecretInfo[]> {
    this.enter(['secret', 'ls']);
    return this.secrets.list(labels);
  }

  async removeSecret(name: string): Promise<void> {
    this.enter(['secret', 'rm', name]);
    this.secrets.remove(name);
  }

  /** The environment a container's process sees: env plus its secrets' values (as the shim exports them). */
  containerEnv(name: string): Record<string, string> | undefined {
    const c = this.containers.get(name);
    if (!c) return undefined;
    return this.secrets.envOf(c.spec);
  }

  /** Where a volume's files are on the host (its mountpoint). */
  mountpoint(name: string): string {
    return this.volumes.mountpoint(name);
  }

  /** Writes a file into a volume, as a container using it would (`sub/a.txt`, no leading slash). */
  writeVolumeFile(name: string, path: string, data: string | Buffer): void {
    this.volumes.writeFile(name, path, data);
  }

  /** A file of a volume, or undefined. */
  readVolumeFile(name: string, path: string): Buffer | undefined {
    return this.volumes.readFile(name, path);
  }

  /** The volume's regular file paths, sorted. */
  listVolumeFiles(name: string): string[] {
    return this.volumes.listFiles(name);
  }

  /** Writes a real tar, so whatever reads the archive reads what Podman would give. */
  async exportVolume(name: string, file: string): Promise<void> {
    await this.volumes.exportTo(this.enter(['volume', 'export', name, '--output', file]), name, file);
  }

  /** Adds the archive's files to the volume (what it holds and the archive does not name is kept). */
  async importVolume(name: string, file: string): Promise<void> {
    await this.volumes.importFrom(this.enter(['volume', 'import', name, file]), name, file);
  }

  /**
   * The fake's volumes are plain directories of this process: walked directly, as with root's Podman (no
   * podman process, so not counted in `calls`).
   */
  async countVolumeFiles(mountpoint: string): Promise<VolumeFileCount> {
    return countDirectly(mountpoint);
  }

  async emptyVolumeFiles(mountpoint: string): Promise<void> {
    await emptyDirectly(mountpoint);
  }

  private enter(argv: string[]): string[] {
    this.calls++;
    if (this.unreachable) fail(argv, 125, 'cannot connect to Podman (fake: unreachable)');
    return argv;
  }

  private find(argv: string[], name: string): FakeContainer {
    const c = this.containers.get(name) ?? [...this.containers.values()].find((x) => x.id.startsWith(name));
    if (!c) fail(argv, 125, `no container with name or ID "${name}" found: no such container`);
    return c;
  }
}
