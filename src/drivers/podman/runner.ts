// The real Podman driver: runs the pure argv builders with execa, never through a shell.
import { execa } from 'execa';
import type { ExternalCalls } from '../externalCalls.js';
import {
  buildArgv,
  danglingImagesArgv,
  execArgv,
  execAttachedArgv,
  hasLabels,
  imageCommandArgv,
  imageExistsArgv,
  imageInspectArgv,
  imageRmArgv,
  imagesInspectArgv,
  initArgv,
  logsArgv,
  networkCreateArgv,
  networkInspectArgv,
  oneOffRunArgv,
  psArgv,
  pullArgv,
  redactArgv,
  renameArgv,
  rmArgv,
  runArgv,
  runOnceArgv,
  SECRET_VALUE_VAR,
  secretCreateArgv,
  secretInspectArgv,
  secretLsArgv,
  secretRmArgv,
  startArgv,
  stopArgv,
  tailOutput,
  unpauseArgv,
  volumeCreateArgv,
  volumeExportArgv,
  volumeImportArgv,
  volumeLsArgv,
  volumeRmArgv,
} from './argv.js';
import { dropPortMappings } from './cniConfig.js';
import { podmanErrorLine } from './errorLine.js';
import { closeNetwork } from './firewall.js';
import { isListingRace, LISTING_TRIES, listingRetryDelayMs } from './listingRace.js';
import {
  missingImages,
  parseDanglingImages,
  parseImageCommand,
  parseImageInspect,
  parseNetworkBridge,
  parseNetworkSubnet,
  parsePs,
  parseSecretInspect,
  parseVolumeLs,
} from './output.js';
import { killDescendants } from './processTree.js';
import {
  type AttachOptions,
  type BuildSpec,
  type ContainerInfo,
  type HookResult,
  type ImageCommand,
  type ImageInfo,
  type LogsOptions,
  type OutputSink,
  type PodmanDriver,
  PodmanError,
  type RunSpec,
  type SecretInfo,
  type VolumeFileCount,
  type VolumeInfo,
} from './types.js';
import {
  countDirectly,
  emptyDirectly,
  parseFindCount,
  unshareCountArgv,
  unshareEmptyArgv,
} from './volumeFiles.js';

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

interface CallOptions {
  timeoutMs: number;
  /** Exit codes that are answers rather than failures (e.g. 1 for `image exists`); `any` for exec. */
  okExitCodes?: number[] | 'any';
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Extra environment of the podman process (a secret value: never in argv). */
  env?: Record<string, string>;
}

interface CallResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The words naming the operation in messages: `run`, `volume create`, `image exists`. */
function operation(argv: string[]): string {
  return argv[0] === 'volume' || argv[0] === 'image' || argv[0] === 'secret'
    ? `${argv[0]} ${argv[1]}`
    : (argv[0] ?? '');
}

/** An execa line transform that hands each line to `onLine` and keeps it in the result only if asked. */
function lineTap(onLine: (line: string) => void, keep: boolean) {
  return function* (line: unknown) {
    onLine(String(line));
    if (keep) yield line;
  };
}

/** `30m`, `90s`, `1h5m`: a time limit as people write it. */
function formatMs(ms: number): string {
  if (ms % 60_000 !== 0) return `${Math.round(ms / 1000)}s`;
  const m = ms / 60_000;
  return m >= 60 && m % 60 === 0 ? `${m / 60}h` : `${m}m`;
}

/** A build stopped on purpose (cancelled, timed out): `data.stopped` holds why. */
function stoppedBuild(argv: string[], why: string): PodmanError {
  return new PodmanError(`podman build stopped: ${why}`, { argv: redactArgv(argv), stopped: why });
}

/** {@link PodmanDriver} over the podman CLI. `calls` counts every podman process started. */
export class PodmanCli implements PodmanDriver {
  /** Number of podman invocations so far (benchmarks count external calls). */
  calls = 0;
  private readonly binary: string;
  private readonly timeoutMs: number;
  private readonly buildTimeoutMs: number;
  private readonly transferTimeoutMs: number;
  private readonly shimBinary: string;
  private rootless: Promise<boolean> | undefined;
  private readonly externalCalls: ExternalCalls | undefined;

  constructor(options: PodmanCliOptions = {}) {
    this.binary = options.binary ?? 'podman';
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.buildTimeoutMs = options.buildTimeoutMs ?? 30 * 60_000;
    this.transferTimeoutMs = options.transferTimeoutMs ?? 30 * 60_000;
    this.shimBinary = options.shimBinary ?? '/bin/busybox';
    if (options.rootless !== undefined) this.rootless = Promise.resolve(options.rootless);
    this.externalCalls = options.externalCalls;
  }

  /** The binary this runner calls (the event follower starts the same one). */
  get podmanBinary(): string {
    return this.binary;
  }

  /** The one counting point of podman processes: every call, attached call and event stream counts. */
  counted(): void {
    this.calls++;
    this.externalCalls?.count('podman');
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const argv = psArgv(labels);
    const { stdout } = await this.listing(argv);
    return this.parse(argv, () => parsePs(stdout)).filter((c) => hasLabels(c.labels, labels));
  }

  async listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    const argv = volumeLsArgv(labels);
    const { stdout } = await this.listing(argv);
    // Podman 4.3.1 ORs several label filters on `volume ls`; the AND is enforced here.
    return this.parse(argv, () => parseVolumeLs(stdout)).filter((v) => hasLabels(v.labels, labels));
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.call(volumeCreateArgv(name, labels));
  }

  async removeVolume(name: string): Promise<void> {
    await this.call(volumeRmArgv(name));
  }

  async runContainer(spec: RunSpec): Promise<string> {
    let imageCommand: ImageCommand | undefined;
    if (spec.secretEnv?.length && !spec.entrypoint) {
      // The shim must exec the image's own command, so the image's entrypoint and cmd are needed first.
      if (!spec.image.startsWith('localhost/') && !(await this.imageExists(spec.image)))
        await this.call(pullArgv(spec.image), { timeoutMs: this.buildTimeoutMs });
      const argv = imageCommandArgv(spec.image);
      const { stdout } = await this.call(argv);
      imageCommand = this.parse(argv, () => parseImageCommand(stdout));
    }
    const { stdout } = await this.call(runArgv(spec, { shimBinary: this.shimBinary, imageCommand }));
    return stdout.trim().split('\n').pop()?.trim() ?? '';
  }

  async runHook(spec: RunSpec, timeoutMs: number): Promise<HookResult> {
    let imageCommand: ImageCommand | undefined;
    if (spec.secretEnv?.length && !spec.entrypoint) {
      const argv = imageCommandArgv(spec.image);
      const { stdout } = await this.call(argv);
      imageCommand = this.parse(argv, () => parseImageCommand(stdout));
    }
    const argv = runOnceArgv({ ...spec, restart: 'no' }, { shimBinary: this.shimBinary, imageCommand });
    let r: CallResult;
    try {
      r = await this.call(argv, { timeoutMs, okExitCodes: 'any' });
    } catch (err) {
      if (!(err instanceof PodmanError) || !/timed out/.test(err.message)) throw err;
      await this.call(rmArgv(spec.name, 0)).catch(() => undefined);
      return {
        exitCode: 124,
        output: tailOutput(`${err.data.stderr ?? ''}\n(timed out after ${timeoutMs} ms)`),
      };
    }
    if (r.exitCode === 125 && /^Error:/m.test(r.stderr)) throw this.failure(argv, r);
    return { exitCode: r.exitCode, output: tailOutput(`${r.stdout}${r.stderr}`) };
  }

  async startContainer(name: string): Promise<void> {
    await this.call(startArgv(name));
  }

  async stopContainer(name: string, timeoutSeconds: number): Promise<void> {
    await this.call(stopArgv(name, timeoutSeconds), { timeoutMs: this.timeoutMs + timeoutSeconds * 1000 });
  }

  async unpauseContainer(name: string): Promise<void> {
    await this.call(unpauseArgv(name));
  }

  async initContainer(name: string): Promise<void> {
    await this.call(initArgv(name));
  }

  async removeContainer(name: string, timeoutSeconds: number): Promise<void> {
    await this.call(rmArgv(name, timeoutSeconds), { timeoutMs: this.timeoutMs + timeoutSeconds * 1000 });
  }

  async renameContainer(name: string, newName: string): Promise<void> {
    await this.call(renameArgv(name, newName));
  }

  async imageExists(ref: string): Promise<boolean> {
    const { exitCode } = await this.call(imageExistsArgv(ref), { okExitCodes: [1] });
    return exitCode === 0;
  }

  async ensureNetwork(name: string, labels: Record<string, string>, internal = false): Promise<string> {
    const subnet = await this.findOrCreateNetwork(name, labels, internal);
    // An own network is closed to connections from other networks (only its published ports get in).
    if (!internal) {
      if (!subnet.bridge)
        throw new PodmanError(`podman network inspect names no bridge for ${name}`, { argv: [] });
      // Rootless, the bridge is in Podman's rootless network namespace, and so must the rule be.
      const target = (await this.isRootless()) ? { podman: this.binary } : {};
      await closeNetwork(subnet.bridge, name, target).catch((err: Error) => {
        throw new PodmanError(`could not close the network ${name} to other networks: ${err.message}`, {
          argv: ['iptables'],
        });
      });
    } else {
      // A link network forwards no published port: those reach a container on its own network only.
      await dropPortMappings(name).catch((err: Error) => {
        throw new PodmanError(`could not keep published ports off the network ${name}: ${err.message}`, {
          argv: [],
        });
      });
    }
    return subnet.subnet;
  }

  private async findOrCreateNetwork(
    name: string,
    labels: Record<string, string>,
    internal: boolean,
  ): Promise<{ subnet: string; bridge: string }> {
    // Every apply that runs a container asks; the network is there almost always: one call then, not two.
    const argv = networkInspectArgv(name);
    const read = (text: string) => ({ subnet: parseNetworkSubnet(text), bridge: parseNetworkBridge(text) });
    const found = await this.call(argv, { okExitCodes: [125] });
    if (found.exitCode === 0) return this.parse(argv, () => read(found.stdout));
    if (!/network not found/.test(found.stderr)) throw this.failure(argv, found);
    const create = networkCreateArgv(name, labels, internal);
    const r = await this.call(create, { okExitCodes: [125] });
    // Two HIY processes may create it at once; the loser finds it there.
    if (r.exitCode !== 0 && !/already exists/.test(r.stderr)) throw this.failure(create, r);
    const { stdout } = await this.call(argv);
    return this.parse(argv, () => read(stdout));
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    const argv = imageInspectArgv(ref);
    const r = await this.call(argv, { okExitCodes: [125] });
    if (r.exitCode !== 0) {
      if (/no such image|image not known|failed to find image/i.test(r.stderr)) return undefined;
      throw this.failure(argv, r);
    }
    return this.parse(argv, () => parseImageInspect(r.stdout));
  }

  async listDanglingImages(labels: Record<string, string>): Promise<string[]> {
    const argv = danglingImagesArgv();
    const { stdout } = await this.call(argv);
    return this.parse(argv, () => parseDanglingImages(stdout, labels));
  }

  async removeImage(id: string): Promise<void> {
    await this.call(imageRmArgv(id));
  }

  /**
   * One call for several images (`hiy validate` of a state naming many): the found ones' lines come in the
   * order asked, the missing ones are named on stderr. When the two do not add up (another Podman's wording),
   * each is inspected alone, so the answer never pairs a reference with another's image.
   */
  async inspectImages(refs: readonly string[]): Promise<Map<string, ImageInfo | undefined>> {
    const unique = [...new Set(refs)];
    const out = new Map<string, ImageInfo | undefined>();
    if (unique.length === 0) return out;
    const argv = imagesInspectArgv(unique);
    const r = await this.call(argv, { okExitCodes: [125] });
    const missing = missingImages(r.stderr);
    const found = unique.filter((ref) => !missing.has(ref));
    const lines = r.stdout.split('\n').filter((l) => l.trim());
    if (lines.length === found.length && (r.exitCode === 0) === (missing.size === 0)) {
      for (const ref of unique) out.set(ref, undefined);
      found.forEach((ref, i) => {
        out.set(
          ref,
          this.parse(argv, () => parseImageInspect(lines[i]!)),
        );
      });
      return out;
    }
    for (const ref of unique) out.set(ref, await this.inspectImage(ref));
    return out;
  }

  /**
   * Runs `podman build`, streaming its lines. A timeout or an aborted `spec.signal` stops it: the step it runs is
   * killed (podman then fails the build and removes its working container); a podman that still runs 10 s
   * later is sent SIGTERM, then SIGKILL. The error names why it stopped.
   */
  async buildImage(spec: BuildSpec, onLine?: (line: string) => void): Promise<void> {
    const argv = buildArgv(spec);
    const timeoutMs = spec.timeoutMs ?? this.buildTimeoutMs;
    if (spec.signal?.aborted) throw stoppedBuild(argv, String(spec.signal.reason ?? 'cancelled'));
    this.calls++;
    const child = execa(this.binary, argv, {
      reject: false,
      stdin: 'ignore',
      stdout: [lineTap((line) => onLine?.(line), false)],
      stderr: [lineTap((line) => onLine?.(line), true)],
    });
    let stopped: string | undefined;
    const timers: NodeJS.Timeout[] = [];
    const stop = (why: string) => {
      if (stopped !== undefined || child.pid === undefined) return;
      stopped = why;
      const pid = child.pid;
      killDescendants(pid);
      // A step started between the list and the kill, or podman busy outside a step (pulling, committing).
      timers.push(setInterval(() => killDescendants(pid), 1000));
      timers.push(setTimeout(() => child.kill('SIGTERM'), 10_000));
      timers.push(setTimeout(() => child.kill('SIGKILL'), 15_000));
    };
    const onAbort = () => stop(String(spec.signal?.reason ?? 'cancelled'));
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    timers.push(setTimeout(() => stop(`timed out after ${formatMs(timeoutMs)}`), timeoutMs));
    try {
      const result = await child;
      if (stopped !== undefined) throw stoppedBuild(argv, stopped);
      if (result.code === 'ENOENT') {
        throw new PodmanError(`podman is not installed or not on PATH (tried "${this.binary}")`, {
          argv: redactArgv(argv),
        });
      }
      const out: CallResult = {
        exitCode: result.exitCode ?? -1,
        stdout: '',
        stderr: String(result.stderr ?? ''),
      };
      if (out.exitCode !== 0) throw this.failure(argv, out);
    } finally {
      for (const t of timers) clearTimeout(t);
      spec.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Podman's own failures (no such container, not running) exit 125 with an `Error:` line; those throw.
   * Any other exit code, including 126/127 (command not runnable / not found), is the command's answer.
   */
  async exec(name: string, command: string[], timeoutMs: number): Promise<HookResult> {
    const argv = execArgv(name, command);
    const result = await this.call(argv, { timeoutMs, okExitCodes: 'any' });
    if (result.exitCode === 125 && /^Error:/m.test(result.stderr)) throw this.failure(argv, result);
    return { exitCode: result.exitCode, output: tailOutput(`${result.stdout}${result.stderr}`) };
  }

  async logs(name: string, opts: LogsOptions, output: OutputSink): Promise<void> {
    const argv = logsArgv(name, opts);
    const r = await this.attached(argv, { output, signal: opts.signal });
    if (r.exitCode !== 0 && !r.aborted) throw this.failure(argv, r);
  }

  async execAttached(
    name: string,
    command: string[],
    opts: AttachOptions & { secretShim?: boolean; user?: string },
  ): Promise<number> {
    const argv = execAttachedArgv(name, command, opts);
    const r = await this.attached(argv, opts);
    if (r.exitCode === 125 && /^Error:/m.test(r.stderr)) throw this.failure(argv, r);
    return r.timedOut ? 124 : r.exitCode;
  }

  async runOneOff(spec: RunSpec, opts: AttachOptions): Promise<number> {
    let imageCommand: ImageCommand | undefined;
    if (!spec.entrypoint && spec.secretEnv?.length) {
      // Without a command of its own the one-off runs the image's; the shim needs to know it (see runContainer).
      const argv = imageCommandArgv(spec.image);
      const { stdout } = await this.call(argv);
      imageCommand = this.parse(argv, () => parseImageCommand(stdout));
    }
    const argv = oneOffRunArgv(spec, { shimBinary: this.shimBinary, imageCommand, ...opts });
    try {
      const r = await this.attached(argv, opts);
      if (r.exitCode === 125 && /^Error:/m.test(r.stderr)) throw this.failure(argv, r);
      return r.timedOut ? 124 : r.exitCode;
    } finally {
      // Killing `podman run` does not stop its container: a timeout, an abort or a crash of podman removes it here.
      await this.call(rmArgv(spec.name, 0), { okExitCodes: 'any' }).catch(() => undefined);
    }
  }

  /**
   * Runs podman attached to `opts.output`. Piped stderr is also kept (its `Error:` line makes messages); with
   * `inherit` podman talks to this process's terminal directly and stderr is not seen.
   */
  private async attached(
    argv: string[],
    opts: Pick<AttachOptions, 'output' | 'interactive' | 'timeoutMs' | 'signal'>,
  ): Promise<CallResult & { timedOut: boolean; aborted: boolean }> {
    this.counted();
    const inherit = opts.output === 'inherit';
    const child = execa(this.binary, argv, {
      reject: false,
      buffer: false,
      stdin: inherit && opts.interactive ? 'inherit' : 'ignore',
      stdout: inherit ? 'inherit' : 'pipe',
      stderr: inherit ? 'inherit' : 'pipe',
      forceKillAfterDelay: 2_000,
      ...(opts.timeoutMs !== undefined && { timeout: opts.timeoutMs }),
      ...(opts.signal && { cancelSignal: opts.signal }),
    });
    let stderr = '';
    if (opts.output !== 'inherit') {
      const sink = opts.output;
      child.stdout?.setEncoding('utf8').on('data', (c: string) => sink.stdout(c));
      child.stderr?.setEncoding('utf8').on('data', (c: string) => {
        if (stderr.length < 64 * 1024) stderr += c;
        sink.stderr(c);
      });
    }
    const result = await child;
    if (result.code === 'ENOENT') {
      throw new PodmanError(`podman is not installed or not on PATH (tried "${this.binary}")`, {
        argv: redactArgv(argv),
      });
    }
    const aborted = Boolean(result.isCanceled);
    return {
      exitCode: result.exitCode ?? (aborted ? 130 : -1),
      stdout: '',
      stderr,
      timedOut: Boolean(result.timedOut),
      aborted,
    };
  }

  async createSecret(name: string, value: string, labels: Record<string, string>): Promise<void> {
    await this.call(secretCreateArgv(name, labels), { env: { [SECRET_VALUE_VAR]: value } });
  }

  async listSecrets(labels: Record<string, string>): Promise<SecretInfo[]> {
    const { stdout } = await this.call(secretLsArgv());
    const ids = stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (ids.length === 0) return [];
    const argv = secretInspectArgv(ids);
    // A secret removed between the two calls makes inspect exit non-zero but still print the others.
    const r = await this.call(argv, { okExitCodes: [125] });
    return this.parse(argv, () => parseSecretInspect(r.stdout)).filter((s) => hasLabels(s.labels, labels));
  }

  async removeSecret(name: string): Promise<void> {
    const r = await this.call(secretRmArgv(name), { okExitCodes: [125] });
    if (r.exitCode !== 0 && !/no such secret/.test(r.stderr)) throw this.failure(secretRmArgv(name), r);
  }

  async exportVolume(name: string, file: string): Promise<void> {
    await this.call(volumeExportArgv(name, file), { timeoutMs: this.transferTimeoutMs });
  }

  async importVolume(name: string, file: string): Promise<void> {
    await this.call(volumeImportArgv(name, file), { timeoutMs: this.transferTimeoutMs });
  }

  async countVolumeFiles(mountpoint: string): Promise<VolumeFileCount> {
    if (!(await this.isRootless())) return countDirectly(mountpoint);
    const argv = unshareCountArgv(mountpoint);
    const { stdout } = await this.call(argv, { timeoutMs: this.transferTimeoutMs });
    return this.parse(argv, () => parseFindCount(stdout));
  }

  async emptyVolumeFiles(mountpoint: string): Promise<void> {
    if (!(await this.isRootless())) return emptyDirectly(mountpoint);
    await this.call(unshareEmptyArgv(mountpoint), { timeoutMs: this.transferTimeoutMs });
  }

  /**
   * Asks Podman once whether it runs rootless: `podman unshare` succeeds only then (root's Podman refuses it:
   * "please use unshare with rootless"). Inside `podman unshare` (uid 0 of the user namespace) it still
   * succeeds, at the cost of one more process per walk. A failure is not cached.
   */
  private isRootless(): Promise<boolean> {
    this.rootless ??= this.call(['unshare', 'true'], { okExitCodes: [125] })
      .then((r) => {
        if (r.exitCode === 0) return true;
        if (/unshare with rootless/.test(r.stderr)) return false;
        throw this.failure(['unshare', 'true'], r);
      })
      .catch((err: unknown) => {
        this.rootless = undefined;
        throw err;
      });
    return this.rootless;
  }

  /**
   * A listing call, tried again (bounded) when it raced with another process removing its own object: Podman 4.3
   * fails the whole list then (see listingRace.ts), and a failed observation would stop the reconcile.
   */
  private async listing(argv: string[]): Promise<CallResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call(argv);
      } catch (err) {
        const stderr = err instanceof PodmanError ? (err.data.stderr ?? '') : '';
        if (attempt >= LISTING_TRIES || !isListingRace(stderr)) throw err;
        await new Promise((r) => setTimeout(r, listingRetryDelayMs(attempt)));
      }
    }
  }

  private parse<T>(argv: string[], fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new PodmanError(`podman ${operation(argv)}: unexpected output`, { argv }, { cause });
    }
  }

  private failure(argv: string[], r: CallResult): PodmanError {
    const stderr = r.stderr.trim();
    return new PodmanError(
      `podman ${operation(argv)} failed (exit ${r.exitCode}): ${podmanErrorLine(stderr) || 'no error output'}`,
      { argv: redactArgv(argv), exitCode: r.exitCode, stderr },
    );
  }

  private async call(argv: string[], partial: Partial<CallOptions> = {}): Promise<CallResult> {
    const opts: CallOptions = { timeoutMs: this.timeoutMs, ...partial };
    this.counted();
    // Streamed stdout (build logs) is passed on, not kept; stderr is also kept, as it makes the error message.
    const stdout = opts.onStdoutLine ? [lineTap(opts.onStdoutLine, false)] : 'pipe';
    const stderr = opts.onStderrLine ? [lineTap(opts.onStderrLine, true)] : 'pipe';
    // Neither execa's result nor its messages are attached to errors: they quote the argv, env values included.
    const result = await execa(this.binary, argv, {
      reject: false,
      timeout: opts.timeoutMs,
      forceKillAfterDelay: 2_000,
      stdin: 'ignore',
      ...(opts.env ? { env: opts.env } : {}),
      stdout,
      stderr,
    });
    const redacted = redactArgv(argv);
    if (result.code === 'ENOENT') {
      throw new PodmanError(`podman is not installed or not on PATH (tried "${this.binary}")`, {
        argv: redacted,
      });
    }
    if (result.timedOut) {
      throw new PodmanError(`podman ${operation(argv)} timed out after ${opts.timeoutMs} ms`, {
        argv: redacted,
        stderr: String(result.stderr ?? '').trim(),
      });
    }
    const out: CallResult = {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
    };
    if (result.exitCode === undefined) {
      const why = result.signal ? `killed by ${result.signal}` : (result.code ?? 'did not run');
      throw new PodmanError(`podman ${operation(argv)} failed: ${why}`, {
        argv: redacted,
        stderr: out.stderr.trim(),
      });
    }
    const ok =
      opts.okExitCodes === 'any' || out.exitCode === 0 || (opts.okExitCodes ?? []).includes(out.exitCode);
    if (!ok) {
      throw this.failure(argv, out);
    }
    return out;
  }
}
