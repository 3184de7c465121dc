// Host ports on 127.0.0.1 for the container ports Caddy and the health probes reach: stable and deterministic.
import type { ContainerInfo } from '../model/containers.js';
import type { DesiredWorkload } from '../model/workload.js';

/** Allocates upstream host ports: keeps a running container's ports, else hashes into the range and probes. */
export class UpstreamPortAllocator {
  private readonly used = new Set<number>();

  constructor(
    private readonly range: { from: number; to: number },
    observed: ContainerInfo[],
    desired: DesiredWorkload[],
    portsInUse: number[] = [],
    private readonly seed = '',
  ) {
    for (const p of portsInUse) this.used.add(p);
    for (const c of observed) for (const p of c.ports) this.used.add(p.hostPort);
    for (const w of desired) for (const p of w.ports) this.used.add(p.hostPort);
  }

  /** Host port for `containerPort` of workload `w`, reusing `current`'s mapping when it has one. */
  allocate(w: DesiredWorkload, containerPort: number, current: ContainerInfo | undefined): number {
    const kept = current?.ports.find((p) => p.hostIp === '127.0.0.1' && p.containerPort === containerPort);
    if (kept) return kept.hostPort;
    const size = this.range.to - this.range.from + 1;
    const start = fnv1a(`${this.seed}:${w.id}:${containerPort}`) % size;
    for (let i = 0; i < size; i++) {
      const port = this.range.from + ((start + i) % size);
      if (!this.used.has(port)) {
        this.used.add(port);
        return port;
      }
    }
    throw new RangeError(`no free upstream port left in ${this.range.from}-${this.range.to}`);
  }
}

/** 32-bit FNV-1a: a cheap, stable string hash (no security purpose: it only spreads ports over the range). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
