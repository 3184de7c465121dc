// Test helpers for the port images (ports/): build them with scripts/ports.ts (cached), run them and their hooks
// directly with Podman the way HIY will (env, volumes, published loopback ports), clean up by instance label.
import { execa } from 'execa';
import { buildPort } from '../../scripts/ports.js';
import { LABEL_INSTANCE } from '../../src/model/labels.js';
import { freePort, waitFor } from './ports.js';

/** Builds (or finds, by input hash) a port's image; `version` makes another version of the same port (an upgrade). */
export async function ensurePortImage(name: string, version?: string): Promise<string> {
  const r = await buildPort(name, { ...(version ? { version } : {}), log: () => {} });
  return r.image;
}

export interface PortRunOptions {
  image: string;
  env?: Record<string, string>;
  /** Declared volume name → mount path, as in the declaration; the test's volumes are named INSTANCE-NAME. */
  volumes?: Record<string, string>;
  /** Container ports published on free loopback ports. */
  publish?: number[];
}

/** A port running as one container of a test instance. */
export interface RunningPort {
  name: string;
  /** Container port → host port on 127.0.0.1. */
  ports: Map<number, number>;
}

/** Runs and replaces port containers of one test instance; everything it makes carries the instance label. */
export class PortTestbed {
  private n = 0;
  private readonly extraImages = new Set<string>();

  constructor(readonly instance: string) {}

  volume(name: string): string {
    return `${this.instance}-${name}`;
  }

  private volumeArgs(volumes: Record<string, string> = {}): string[] {
    return Object.entries(volumes).flatMap(([name, mountPath]) => [
      '-v',
      `${this.volume(name)}:${mountPath}`,
    ]);
  }

  private async ensureVolumes(volumes: Record<string, string> = {}): Promise<void> {
    for (const name of Object.keys(volumes)) {
      const v = this.volume(name);
      const exists = await execa('podman', ['volume', 'exists', v], { reject: false });
      if (exists.exitCode !== 0)
        await execa('podman', ['volume', 'create', '--label', `${LABEL_INSTANCE}=${this.instance}`, v]);
    }
  }

  /** An image this test built only for itself (an upgrade's version): removed at cleanup. */
  ownImage(image: string): void {
    this.extraImages.add(image);
  }

  /**
   * Starts the port (read-only root file system: the image layer never holds state) and waits until its
   * container is running. Host ports are kept when `reuse` (the port's previous container) is given.
   */
  async run(opts: PortRunOptions, reuse?: RunningPort): Promise<RunningPort> {
    await this.ensureVolumes(opts.volumes);
    const name = `${this.instance}-${++this.n}`;
    const ports = new Map<number, number>();
    for (const p of opts.publish ?? []) ports.set(p, reuse?.ports.get(p) ?? (await freePort()));
    const envArgs = Object.keys(opts.env ?? {}).flatMap((k) => ['-e', k]);
    await execa(
      'podman',
      [
        'run',
        '-d',
        '--pull=never',
        '--read-only',
        '--name',
        name,
        '--label',
        `${LABEL_INSTANCE}=${this.instance}`,
        ...envArgs,
        ...this.volumeArgs(opts.volumes),
        ...[...ports].flatMap(([c, h]) => ['-p', `127.0.0.1:${h}:${c}`]),
        opts.image,
      ],
      // Values go through the environment, never argv (secrets stay out of `ps`).
      { env: opts.env ?? {} },
    );
    return { name, ports };
  }

  /** Stops and removes a port's container, leaving its volumes (an upgrade's first half). */
  async remove(port: RunningPort): Promise<void> {
    await execa('podman', ['rm', '-f', '-t', '10', port.name]);
  }

  /** Runs a hook of the image in a one-off container with the env and volumes, as HIY does for check and migrate. */
  async hook(
    image: string,
    hook: 'check' | 'migrate',
    argv: string[],
    opts: Omit<PortRunOptions, 'image' | 'publish'> = {},
  ): Promise<{ exitCode: number; output: string }> {
    await this.ensureVolumes(opts.volumes);
    const env = { ...(opts.env ?? {}), HIY_HOOK: hook, HIY_RESOURCE: this.instance };
    const [entry, ...args] = argv;
    const r = await execa(
      'podman',
      [
        'run',
        '--rm',
        '--pull=never',
        '--read-only',
        '--label',
        `${LABEL_INSTANCE}=${this.instance}`,
        ...Object.keys(env).flatMap((k) => ['-e', k]),
        ...this.volumeArgs(opts.volumes),
        '--entrypoint',
        entry!,
        image,
        ...args,
      ],
      { env, reject: false, all: true },
    );
    return { exitCode: r.exitCode ?? -1, output: r.all ?? '' };
  }

  /** Runs a command in the running container (the dump hook's way), with HIY's hook variables. */
  async exec(
    port: RunningPort,
    argv: string[],
    hook?: 'dump',
  ): Promise<{ exitCode: number; output: string }> {
    const env = hook ? ['-e', `HIY_HOOK=${hook}`, '-e', `HIY_RESOURCE=${this.instance}`] : [];
    const r = await execa('podman', ['exec', ...env, port.name, ...argv], { reject: false, all: true });
    return { exitCode: r.exitCode ?? -1, output: r.all ?? '' };
  }

  /** Waits until the image's declared health command passes in the container. */
  async healthy(port: RunningPort, command: string[], timeoutMs = 90_000): Promise<void> {
    await waitFor(
      async () => {
        const state = await execa('podman', ['inspect', '--format', '{{.State.Status}}', port.name]);
        if (state.stdout.trim() === 'exited') {
          const logs = await this.logs(port);
          throw new Error(`container ${port.name} exited:\n${logs}`);
        }
        return (await this.exec(port, command)).exitCode === 0;
      },
      { timeoutMs, intervalMs: 300, what: `${port.name} healthy` },
    );
  }

  async logs(port: RunningPort): Promise<string> {
    const r = await execa('podman', ['logs', port.name], { reject: false, all: true });
    return r.all ?? '';
  }

  /** Removes every container, volume and test-only image of the instance. */
  async cleanup(): Promise<void> {
    const filter = `label=${LABEL_INSTANCE}=${this.instance}`;
    const ids = (await execa('podman', ['ps', '-a', '-q', '--filter', filter])).stdout
      .split('\n')
      .filter(Boolean);
    if (ids.length > 0) await execa('podman', ['rm', '-f', '-t', '0', '--ignore', ...ids]);
    const vols = (await execa('podman', ['volume', 'ls', '-q', '--filter', filter])).stdout
      .split('\n')
      .filter(Boolean);
    if (vols.length > 0) await execa('podman', ['volume', 'rm', '-f', ...vols]);
    for (const image of this.extraImages) await execa('podman', ['rmi', '-f', image], { reject: false });
  }
}
