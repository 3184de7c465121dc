// `podman stats --no-stream` for a list of containers in one call: raw CPU time and memory, parsed.
import { execa } from 'execa';
import type { ExternalCalls } from '../externalCalls.js';
import { podmanErrorLine } from './errorLine.js';

/** One container's counters as Podman reads them from its cgroup. */
export interface ContainerStats {
  /** The full container id. */
  id: string;
  name: string;
  /** CPU time used since the container started, in ns (a counter). */
  cpuNanos: number;
  /** Podman's own CPU figure: the average since the container started, in % of one core. */
  cpuPercentSinceStart: number;
  /** Memory in use, in bytes. */
  memBytes: number;
  /** The memory limit (the box's memory when the container has none), in bytes. */
  memLimitBytes: number;
}

/** Reads the stats of the named containers in one podman process; throws with Podman's error line. */
export type ReadContainerStats = (names: string[]) => Promise<ContainerStats[]>;

/**
 * The argv: one JSON object per container and line, the raw numbers of Podman's stats struct rather than the
 * rounded text of `--format json` ("1.5MB"). Names are passed, so the call reads only HIY's containers.
 */
export function statsArgv(names: string[]): string[] {
  return ['stats', '--no-stream', '--no-reset', '--format', '{{json .ContainerStats}}', '--', ...names];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Parses the output of {@link statsArgv}; lines that are not such objects are skipped. */
export function parseStats(stdout: string): ContainerStats[] {
  const out: ContainerStats[] = [];
  for (const line of stdout.split('\n')) {
    const text = line.trim();
    if (!text.startsWith('{')) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof o.ContainerID !== 'string' || typeof o.Name !== 'string') continue;
    out.push({
      id: o.ContainerID,
      name: o.Name,
      cpuNanos: num(o.CPUNano),
      cpuPercentSinceStart: num(o.AvgCPU),
      memBytes: num(o.MemUsage),
      memLimitBytes: num(o.MemLimit),
    });
  }
  return out;
}

/** {@link ReadContainerStats} over the podman CLI; each call counts as one podman process. */
export function podmanStatsReader(opts: {
  binary?: string;
  externalCalls?: ExternalCalls;
  timeoutMs?: number;
}): ReadContainerStats {
  const binary = opts.binary ?? 'podman';
  return async (names) => {
    if (names.length === 0) return [];
    opts.externalCalls?.count('podman');
    const r = await execa(binary, statsArgv(names), {
      reject: false,
      stdin: 'ignore',
      timeout: opts.timeoutMs ?? 30_000,
    });
    if (r.exitCode !== 0)
      throw new Error(
        `podman stats failed: ${podmanErrorLine(String(r.stderr)) || `exit ${r.exitCode ?? r.signal}`}`,
      );
    return parseStats(String(r.stdout));
  };
}
