// The box's own figures for the dashboard: the data directory's file system, memory and load, read from the kernel.
import { readFile, statfs } from 'node:fs/promises';
import { availableParallelism, loadavg, totalmem } from 'node:os';

/** The box at one moment: disk of the data directory's file system, memory, load averages. */
export interface BoxStats {
  disk: { totalBytes: number; freeBytes: number; usedBytes: number };
  memory: { totalBytes: number; availableBytes: number };
  /** 1, 5 and 15 minute load averages. */
  load: [number, number, number];
  cores: number;
}

/** `MemAvailable` of /proc/meminfo in bytes (what can be used without swapping); undefined when absent. */
export function parseMemAvailable(meminfo: string): number | undefined {
  const m = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Reads the box's figures: one statfs and one read of /proc/meminfo. */
export async function readBoxStats(dataDir: string): Promise<BoxStats> {
  const [fs, meminfo] = await Promise.all([
    statfs(dataDir),
    readFile('/proc/meminfo', 'utf8').catch(() => ''),
  ]);
  const total = fs.blocks * fs.bsize;
  const free = fs.bavail * fs.bsize;
  const [l1, l5, l15] = loadavg() as [number, number, number];
  const memTotal = totalmem();
  return {
    disk: { totalBytes: total, freeBytes: free, usedBytes: total - fs.bfree * fs.bsize },
    memory: { totalBytes: memTotal, availableBytes: parseMemAvailable(meminfo) ?? memTotal },
    load: [l1, l5, l15],
    cores: availableParallelism(),
  };
}
