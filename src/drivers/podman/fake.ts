// An in-memory Podman held to the same contract tests as the real runner.
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { hasLabels } from './argv.js';
import { comparePorts } from './output.js';
import {
  type AttachOptions,
  type BuildSpec,
  type ContainerInfo,
  type HookResult,
  type ImageInfo,
  type LogsOptions,
  type OutputSink,
  type PodmanDriver,
  PodmanError,
  type PortMapping,
  type RunSpec,
  type SecretInfo,
  type VolumeFileCount,
  type VolumeInfo,
} from './types.js';
import { countDirectly, emptyDirectly } from './volumeFiles.js';

interface FakeContainer {
  id: string;
  spec: RunSpec;
  name: string;
  imageId: string;
  /** Podman's states HIY may meet; `stopping` is what a `podman stop` killed half-way leaves. */
  state: FakeContainerState;
  createdAt: number;
  /** The networks it is on: the spec's, or Podman's default one. */
  networks: string[];
}

export type FakeContainerState = 'created' | 'running' | 'paused' | 'stopping' | 'exited';

/**
 * Answers an exec in the fake: an exit code, or the exit code and output. By default `true`→0, `false`→1,
 * `sh -c "[echo WORDS;] exit N"`→N (printing WORDS: like the real driver's, without the final newline),
 * anything else 0.
 */
export type FakeExecHandler = (container: string, command: string[]) => number | HookResult;

const defaultExec: FakeExecHandler = (_container, command) => {
  const [bin, flag, script] = command;
  const base = bin?.split('/').pop();
  if (base === 'true') return 0;
  if (base === 'false') return 1;
  const m =
    (base === 'sh' || base === 'bash') && flag === '-c'
      ? /^\s*(?:echo ([^;]*);\s*)?exit\s+(\d+)\s*$/.exec(script ?? '')
      : null;
  return m ? { exitCode: Number(m[2]), output: m[1]?.trim() ?? '' } : 0;
};

/** An exec handler's answer as a HookResult. */
function execResult(answer: number | HookResult): HookResult {
  return typeof answer === 'number' ? { exitCode: answer, output: '' } : answer;
}

/** `busybox` → `localhost/busybox:latest`, as Podman stores locally built short names. */
export function normalizeImageRef(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  const withTag = ref.slice(lastSlash + 1).includes(':') || ref.includes('@') ? ref : `${ref}:latest`;
  const first = withTag.split('/')[0] ?? '';
  const hasRegistry =
    withTag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasRegistry ? withTag : `localhost/${withTag}`;
}

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
  readonly volumesRoot: string;
  /** When true every call throws a PodmanError, as when the podman binary or its storage is unusable. */
  unreachable = false;
  /** Decides exec exit codes. */
  execHandler: FakeExecHandler = defaultExec;
  /** Decides how one-off containers (hooks) end; every one succeeds with no output by default. */
  hookHandler: (spec: RunSpec) => HookResult = () => ({ exitCode: 0, output: '' });
  /** The one-off containers run, in order. */
  readonly hooksRun: RunSpec[] = [];
  private readonly containers = new Map<string, FakeContainer>();
  private readonly volumes = new Map<string, VolumeInfo>();
  private readonly images = new Map<string, string>();
  /** Networks: name → subnet and labels. */
  readonly networks = new Map<
    string,
    { subnet: string; labels: Record<string, string>; internal: boolean }
  >();
  private readonly imageLabels = new Map<string, Record<string, string>>();
  /** Untagged images no other image builds on (a build stage's leftovers): id → labels. */
  readonly danglingImages = new Map<string, Record<string, string>>();
  private readonly secrets = new Map<string, SecretInfo & { value: string }>();
  private clock = 1_700_000_000;
  /** Each container's output, by container id (a rename keeps it, as Podman's log file does). */
  private readonly output = new Map<string, string[]>();
  /** One-off containers run so far (their specs), for tests. */
  readonly oneOffs: RunSpec[] = [];
  /** Every attached exec, with the user it ran as (absent: the image's). */
  readonly execs: { name: string; command: string[]; user?: string }[] = [];

  constructor(opts: { volumesRoot?: string } = {}) {
    this.volumesRoot = opts.volumesRoot ?? mkdtempSync(join(processVolumesRoot(), 'podman-'));
  }

  /** Makes an image exist, as if built or imported; labels as `podman build --label` gives them. */
  addImage(ref: string, labels: Record<string, string> = {}): void {
    const norm = normalizeImageRef(ref);
    const id = createHash('sha256')
      .update(`${norm}\0${JSON.stringify(labels)}`)
      .digest('hex');
    this.images.set(norm, id);
    this.imageLabels.set(id, { ...labels });
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    this.enter(['ps']);
    return [...this.containers.values()]
      .filter((c) => hasLabels(c.spec.labels, labels))
      .map((c) => this.info(c));
  }

  async listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    this.enter(['volume', 'ls']);
    return [...this.volumes.values()]
      .filter((v) => hasLabels(v.labels, labels))
      .map((v) => ({ ...v, labels: { ...v.labels } }));
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    const argv = this.enter(['volume', 'create', name]);
    if (this.volumes.has(name))
      fail(argv, 125, `volume with name ${name} already exists: volume already exists`);
    this.addVolume(name, labels);
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
    this.volumes.delete(name);
    rmSync(join(this.volumesRoot, name), { recursive: true, force: true });
  }

  async runContainer(spec: RunSpec): Promise<string> {
    const argv = this.enter(['run', spec.name]);
    const imageId = this.images.get(normalizeImageRef(spec.image));
    if (!imageId) fail(argv, 125, `${spec.image}: image not known`);
    for (const s of spec.secretEnv ?? []) {
      if (!this.secrets.has(s.secret))
        fail(argv, 125, `no secret with name or id "${s.secret}": no such secret`);
    }
    const holder = this.containers.get(spec.name);
    if (holder) fail(argv, 125, `the container name "${spec.name}" is already in use by ${holder.id}`);
    const networks = spec.network
      ? [spec.network.name, ...(spec.network.links ?? []).map((l) => l.name)]
      : ['podman'];
    for (const n of spec.network ? networks : [])
      if (!this.networks.has(n))
        fail(argv, 125, `unable to find network with name or ID ${n}: network not found`);
    const busy = this.portConflict(toPorts(spec), undefined);
    if (busy)
      fail(
        argv,
        126,
        `cannot listen on ${busy.hostIp}:${busy.hostPort}/${busy.protocol}: bind: address already in use`,
      );
    for (const v of spec.volumes) {
      // Like Podman, a named volume that does not exist yet is created (unlabelled); bind paths are not volumes.
      if (!v.source.startsWith('/') && !this.volumes.has(v.source)) this.addVolume(v.source, {});
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
    if (!this.images.has(normalizeImageRef(spec.image))) fail(argv, 125, `${spec.image}: image not known`);
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
    const busy = this.portConflict(toPorts(c.spec), c);
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
    return this.images.has(normalizeImageRef(ref));
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
    const id = this.images.get(normalizeImageRef(ref));
    return id === undefined ? undefined : { id, labels: { ...(this.imageLabels.get(id) ?? {}) } };
  }

  async listDanglingImages(labels: Record<string, string>): Promise<string[]> {
    this.enter(['images', '--filter', 'dangling=true']);
    return [...this.danglingImages].filter(([, l]) => hasLabels(l, labels)).map(([id]) => id);
  }

  async removeImage(id: string): Promise<void> {
    this.enter(['rmi', id]);
    this.danglingImages.delete(id);
  }

  async inspectImages(refs: readonly string[]): Promise<Map<string, ImageInfo | undefined>> {
    this.enter(['image', 'inspect', ...refs]);
    const out = new Map<string, ImageInfo | undefined>();
    for (const ref of refs) {
      const id = this.images.get(normalizeImageRef(ref));
      out.set(ref, id === undefined ? undefined : { id, labels: { ...(this.imageLabels.get(id) ?? {}) } });
    }
    return out;
  }

  async buildImage(spec: BuildSpec, onLine?: (line: string) => void): Promise<void> {
    this.enter(['build', spec.tag]);
    if (spec.signal?.aborted) {
      const why = String(spec.signal.reason ?? 'cancelled');
      throw new PodmanError(`podman build stopped: ${why}`, { argv: ['build', spec.tag], stopped: why });
    }
    onLine?.(`STEP 1/1: (fake build of ${spec.file})`);
    onLine?.(`COMMIT ${spec.tag}`);
    this.addImage(spec.tag, spec.labels);
    onLine?.(`Successfully tagged ${normalizeImageRef(spec.tag)}`);
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
    this.output.set(c.id, [...(this.output.get(c.id) ?? []), ...lines]);
  }

  async logs(name: string, opts: LogsOptions, output: OutputSink): Promise<void> {
    const argv = this.enter(['logs', name]);
    const c = this.find(argv, name);
    let sent = 0;
    const flush = () => {
      const lines = this.output.get(c.id) ?? [];
      const from = sent === 0 && opts.tail !== undefined ? Math.max(0, lines.length - opts.tail) : sent;
      for (const line of lines.slice(from)) write(output, 'stdout', `${line}\n`);
      sent = lines.length;
    };
    flush();
    // Like `podman logs -f`: new output streams until the container stops (or is removed) or the caller aborts.
    while (
      opts.follow &&
      !opts.signal?.aborted &&
      this.containers.get(c.name)?.id === c.id &&
      c.state === 'running'
    ) {
      await new Promise((r) => setTimeout(r, 10));
      flush();
    }
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
    return this.answer(name, command, env, opts.output);
  }

  async runOneOff(spec: RunSpec, opts: AttachOptions): Promise<number> {
    const argv = this.enter(['run', '--rm', spec.name]);
    if (!this.images.has(normalizeImageRef(spec.image))) fail(argv, 125, `${spec.image}: image not known`);
    if (this.containers.has(spec.name))
      fail(argv, 125, `the container name "${spec.name}" is already in use`);
    for (const s of spec.secretEnv ?? []) {
      if (!this.secrets.has(s.secret))
        fail(argv, 125, `no secret with name or id "${s.secret}": no such secret`);
    }
    this.oneOffs.push(structuredClone(spec));
    const env = { ...spec.env };
    for (const s of spec.secretEnv ?? []) env[s.env] = this.secrets.get(s.secret)?.value ?? '';
    return this.answer(spec.name, spec.entrypoint ?? [], env, opts.output);
  }

  /** An attached command's answer: `env` prints the environment it sees; the exit code is execHandler's. */
  private answer(name: string, command: string[], env: Record<string, string>, output: OutputSink): number {
    if (command.length === 1 && command[0] === 'env') {
      for (const [k, v] of Object.entries(env)) write(output, 'stdout', `${k}=${v}\n`);
      return 0;
    }
    if (command[0] === 'echo') write(output, 'stdout', `${command.slice(1).join(' ')}\n`);
    const answer = execResult(this.execHandler(name, command));
    if (answer.output) write(output, 'stdout', answer.output);
    return answer.exitCode;
  }

  async createSecret(name: string, value: string, labels: Record<string, string>): Promise<void> {
    const argv = this.enter(['secret', 'create', name, '-']);
    if (this.secrets.has(name)) fail(argv, 125, `${name}: secret name in use`);
    this.secrets.set(name, {
      id: randomBytes(12).toString('hex').slice(0, 25),
      name,
      labels: { ...labels },
      value,
    });
  }

  async listSecrets(labels: Record<string, string>): Promise<SecretInfo[]> {
    this.enter(['secret', 'ls']);
    return [...this.secrets.values()]
      .filter((s) => hasLabels(s.labels, labels))
      .map((s) => ({ id: s.id, name: s.name, labels: { ...s.labels } }));
  }

  async removeSecret(name: string): Promise<void> {
    this.enter(['secret', 'rm', name]);
    this.secrets.delete(name);
  }

  /** The environment a container's process sees: env plus its secrets' values (as the shim exports them). */
  containerEnv(name: string): Record<string, string> | undefined {
    const c = this.containers.get(name);
    if (!c) return undefined;
    const env = { ...c.spec.env };
    for (const s of c.spec.secretEnv ?? []) env[s.env] = this.secrets.get(s.secret)?.value ?? '';
    return env;
  }

  /** Where a volume's files are on the host (its mountpoint). */
  mountpoint(name: string): string {
    return join(this.volumesRoot, name, '_data');
  }

  /** Writes a file into a volume, as a container using it would (`sub/a.txt`, no leading slash). */
  writeVolumeFile(name: string, path: string, data: string | Buffer): void {
    if (!this.volumes.has(name)) throw new Error(`fake: no volume ${name}`);
    const file = join(this.mountpoint(name), path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  }

  /** A file of a volume, or undefined. */
  readVolumeFile(name: string, path: string): Buffer | undefined {
    if (!this.volumes.has(name)) return undefined;
    try {
      return readFileSync(join(this.mountpoint(name), path));
    } catch {
      return undefined;
    }
  }

  /** The volume's regular file paths, sorted. */
  listVolumeFiles(name: string): string[] {
    if (!this.volumes.has(name)) return [];
    const root = this.mountpoint(name);
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)))
      .sort();
  }

  /** Writes a real tar (with the system `tar`), so whatever reads the archive reads what Podman would give. */
  async exportVolume(name: string, file: string): Promise<void> {
    const argv = this.enter(['volume', 'export', name, '--output', file]);
    if (!this.volumes.has(name)) fail(argv, 125, `no such volume ${name}`);
    await execa('tar', ['-cf', file, '-C', this.mountpoint(name), '.']);
  }

  /** Adds the archive's files to the volume (what it holds and the archive does not name is kept). */
  async importVolume(name: string, file: string): Promise<void> {
    const argv = this.enter(['volume', 'import', name, file]);
    if (!this.volumes.has(name)) fail(argv, 125, `no such volume ${name}`);
    await access(file).catch(() => fail(argv, 125, `open ${file}: no such file or directory`));
    const r = await execa('tar', ['-xf', file, '-C', this.mountpoint(name)], { reject: false });
    if (r.exitCode !== 0) fail(argv, 125, `extracting ${file}: ${String(r.stderr).trim()}`);
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

  private addVolume(name: string, labels: Record<string, string>): void {
    mkdirSync(this.mountpoint(name), { recursive: true });
    this.volumes.set(name, { name, labels: { ...labels }, mountpoint: this.mountpoint(name) });
  }

  private portConflict(ports: PortMapping[], self: FakeContainer | undefined): PortMapping | undefined {
    const running = [...this.containers.values()].filter((c) => c !== self && c.state === 'running');
    return ports.find((p) =>
      running.some((c) =>
        toPorts(c.spec).some(
          (q) =>
            q.hostPort === p.hostPort &&
            q.protocol === p.protocol &&
            (q.hostIp === p.hostIp || q.hostIp === '' || p.hostIp === ''),
        ),
      ),
    );
  }

  private info(c: FakeContainer): ContainerInfo {
    return {
      id: c.id,
      name: c.name,
      image: normalizeImageRef(c.spec.image),
      imageId: c.imageId,
      state: c.state,
      labels: { ...c.spec.labels },
      ports: toPorts(c.spec),
      createdAt: c.createdAt,
      networks: [...c.networks],
    };
  }
}

function toPorts(spec: RunSpec): PortMapping[] {
  return spec.publish
    .map((p) => ({
      hostIp: p.hostIp ?? '',
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol,
    }))
    .sort(comparePorts);
}

function write(output: OutputSink, stream: 'stdout' | 'stderr', text: string): void {
  if (output === 'inherit') process[stream].write(text);
  else output[stream](text);
}

function fail(argv: string[], exitCode: number, stderr: string): never {
  const op =
    argv[0] === 'volume' || argv[0] === 'image' || argv[0] === 'secret' ? `${argv[0]} ${argv[1]}` : argv[0];
  throw new PodmanError(`podman ${op} failed (exit ${exitCode}): ${stderr}`, {
    argv,
    exitCode,
    stderr: `Error: ${stderr}`,
  });
}

let sharedRoot: string | undefined;

/** One temp directory for the volumes of the FakePodmans of this process (a subdirectory each), removed at exit. */
function processVolumesRoot(): string {
  if (sharedRoot && existsSync(sharedRoot)) return sharedRoot;
  const root = mkdtempSync(join(tmpdir(), 'hiy-fake-volumes-'));
  sharedRoot = root;
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  return root;
}
