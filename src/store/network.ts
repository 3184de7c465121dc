// Fixed addresses on the instance network for link targets: `<dataDir>/network.json`, written atomically.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

export interface NetworkFile {
  /** The subnet the addresses were given in; a new subnet (network recreated) starts over. */
  subnet?: string;
  /** resource id → IPv4 address. */
  addresses: Record<string, string>;
}

/** The usable host numbers of a /24-or-larger IPv4 subnet, highest first (Podman's IPAM gives from the bottom). */
function hostsOf(subnet: string): string[] {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m) throw new Error(`${subnet} is not an IPv4 subnet`);
  const bits = Number(m[5]);
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const size = 2 ** (32 - bits);
  const out: string[] = [];
  for (let i = size - 2; i >= Math.max(2, size - 128); i--) {
    const n = (base + i) >>> 0;
    out.push([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'));
  }
  return out;
}

export class NetworkStore {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'network.json');
  }

  async read(): Promise<NetworkFile> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as NetworkFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { addresses: {} };
      throw err;
    }
  }

  /** The fixed address of each resource, given once from the top of the subnet and kept. */
  async addresses(subnet: string, resources: string[]): Promise<Record<string, string>> {
    const file = await this.read();
    if (file.subnet !== subnet) Object.assign(file, { subnet, addresses: {} });
    const used = new Set(Object.values(file.addresses));
    let changed = false;
    for (const r of resources) {
      if (file.addresses[r]) continue;
      const free = hostsOf(subnet).find((ip) => !used.has(ip));
      if (!free) throw new Error(`no fixed address left in ${subnet} for ${r}`);
      file.addresses[r] = free;
      used.add(free);
      changed = true;
    }
    if (changed) await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
    return Object.fromEntries(resources.map((r) => [r, file.addresses[r]!]));
  }
}
