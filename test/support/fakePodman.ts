// FakePodman whose volumes are real directories (mountpoints under a temp dir), as Podman's are on the host.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { FakePodman } from '../../src/drivers/podman/fake.js';
import { PodmanError, type RunSpec, type VolumeInfo } from '../../src/drivers/podman/types.js';

/**
 * HIY reads a volume's data through its host mountpoint (snapshots count its files, a restore empties it
 * before `podman volume import`). Real Podman's mountpoint is the directory holding the files; FakePodman
 * reports a path under /var/lib/containers that does not hold them (and may be a real volume's). This
 * subclass keeps each volume's files in `<volumesRoot>/<name>/_data` and exports and imports them with the
 * system `tar`, so the snapshot, restore, rollback and data-command code paths run unchanged on the fake.
 * Containers, images and secrets are FakePodman's own.
 */
export class FakePodmanOnDisk extends FakePodman {
  constructor(readonly volumesRoot: string) {
    super();
  }

  /** Where the volume's files are on the host. */
  mountpoint(name: string): string {
    return join(this.volumesRoot, name, '_data');
  }

  override async listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    return (await super.listVolumes(labels)).map((v) => ({ ...v, mountpoint: this.mountpoint(v.name) }));
  }

  override async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await super.createVolume(name, labels);
    await mkdir(this.mountpoint(name), { recursive: true });
  }

  override async removeVolume(name: string): Promise<void> {
    await super.removeVolume(name);
    await rm(join(this.volumesRoot, name), { recursive: true, force: true });
  }

  override async runContainer(spec: RunSpec): Promise<string> {
    const id = await super.runContainer(spec);
    // Podman creates a named volume that does not exist yet; FakePodman did, here is its directory.
    for (const v of spec.volumes)
      if (!v.source.startsWith('/')) await mkdir(this.mountpoint(v.source), { recursive: true });
    return id;
  }

  override writeVolumeFile(name: string, path: string, data: string | Buffer): void {
    if (!this.hasVolume(name)) throw new Error(`fake: no volume ${name}`);
    const file = join(this.mountpoint(name), path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  }

  override readVolumeFile(name: string, path: string): Buffer | undefined {
    try {
      return readFileSync(join(this.mountpoint(name), path));
    } catch {
      return undefined;
    }
  }

  override listVolumeFiles(name: string): string[] {
    if (!this.hasVolume(name)) return [];
    const root = this.mountpoint(name);
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)))
      .sort();
  }

  override async exportVolume(name: string, file: string): Promise<void> {
    const argv = this.enterVolume(['volume', 'export', name, '--output', file]);
    if (!this.hasVolume(name)) fail(argv, 125, `no such volume ${name}`);
    await execa('tar', ['-cf', file, '-C', this.mountpoint(name), '.']);
  }

  override async importVolume(name: string, file: string): Promise<void> {
    const argv = this.enterVolume(['volume', 'import', name, file]);
    if (!this.hasVolume(name)) fail(argv, 125, `no such volume ${name}`);
    await access(file).catch(() => fail(argv, 125, `open ${file}: no such file or directory`));
    const r = await execa('tar', ['-xf', file, '-C', this.mountpoint(name)], { reject: false });
    if (r.exitCode !== 0) fail(argv, 125, `extracting ${file}: ${String(r.stderr).trim()}`);
  }

  private hasVolume(name: string): boolean {
    return existsSync(this.mountpoint(name));
  }

  /** Counts the call and fails when unreachable, as FakePodman does for each of its own calls. */
  private enterVolume(argv: string[]): string[] {
    this.calls++;
    if (this.unreachable) fail(argv, 125, 'cannot connect to Podman (fake: unreachable)');
    return argv;
  }
}

function fail(argv: string[], exitCode: number, stderr: string): never {
  throw new PodmanError(`podman ${argv[0]} ${argv[1]} failed (exit ${exitCode}): ${stderr}`, {
    argv,
    exitCode,
    stderr: `Error: ${stderr}`,
  });
}
