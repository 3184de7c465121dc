// The fake Podman's volumes: real directories (one temp root per process), their files, and real tar archives.
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
import { fail } from './fakeContainers.js';
import type { VolumeInfo } from './types.js';

let sharedRoot: string | undefined;

/** One temp directory for the volumes of the FakePodmans of this process (a subdirectory each), removed at exit. */
function processVolumesRoot(): string {
  if (sharedRoot && existsSync(sharedRoot)) return sharedRoot;
  const root = mkdtempSync(join(tmpdir(), 'hiy-fake-volumes-'));
  sharedRoot = root;
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** The volumes of one fake: `<root>/<name>/_data` is each volume's mountpoint, a real directory as with Podman. */
export class FakeVolumes {
  readonly root: string;
  private readonly byName = new Map<string, VolumeInfo>();

  constructor(root: string | undefined) {
    this.root = root ?? mkdtempSync(join(processVolumesRoot(), 'podman-'));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Copies of the volumes carrying every given label. */
  list(labels: Record<string, string>): VolumeInfo[] {
    return [...this.byName.values()]
      .filter((v) => hasLabels(v.labels, labels))
      .map((v) => ({ ...v, labels: { ...v.labels } }));
  }

  add(name: string, labels: Record<string, string>): void {
    mkdirSync(this.mountpoint(name), { recursive: true });
    this.byName.set(name, { name, labels: { ...labels }, mountpoint: this.mountpoint(name) });
  }

  /** Forgets the volume and deletes its files. */
  remove(name: string): void {
    this.byName.delete(name);
    rmSync(join(this.root, name), { recursive: true, force: true });
  }

  mountpoint(name: string): string {
    return join(this.root, name, '_data');
  }

  writeFile(name: string, path: string, data: string | Buffer): void {
    if (!this.byName.has(name)) throw new Error(`fake: no volume ${name}`);
    const file = join(this.mountpoint(name), path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  }

  readFile(name: string, path: string): Buffer | undefined {
    if (!this.byName.has(name)) return undefined;
    try {
      return readFileSync(join(this.mountpoint(name), path));
    } catch {
      return undefined;
    }
  }

  /** The volume's regular file paths, sorted. */
  listFiles(name: string): string[] {
    if (!this.byName.has(name)) return [];
    const root = this.mountpoint(name);
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)))
      .sort();
  }

  /** Writes a real tar (with the system `tar`), so whatever reads the archive reads what Podman would give. */
  async exportTo(argv: string[], name: string, file: string): Promise<void> {
    if (!this.byName.has(name)) fail(argv, 125, `no such volume ${name}`);
    await execa('tar', ['-cf', file, '-C', this.mountpoint(name), '.']);
  }

  /** Adds the archive's files to the volume (what it holds and the archive does not name is kept). */
  async importFrom(argv: string[], name: string, file: string): Promise<void> {
    if (!this.byName.has(name)) fail(argv, 125, `no such volume ${name}`);
    await access(file).catch(() => fail(argv, 125, `open ${file}: no such file or directory`));
    const r = await execa('tar', ['-xf', file, '-C', this.mountpoint(name)], { reject: false });
    if (r.exitCode !== 0) fail(argv, 125, `extracting ${file}: ${String(r.stderr).trim()}`);
  }
}
