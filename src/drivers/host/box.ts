// Reads what the box can still hold: MemAvailable, the PID limits, and the cgroups of a few running containers.
import { readFile } from 'node:fs/promises';
import type { BoxFacts, ContainerUsage } from '../../model/box.js';
import type { ContainerInfo } from '../../model/containers.js';
import { MEMORY_PATTERN, parseMemory } from '../../model/quantity.js';
import { parseMemAvailable } from './boxStats.js';

/** Where the facts are read; tests point it at their own files. */
export interface BoxPaths {
  proc: string;
  cgroup: string;
}

const BOX_PATHS: BoxPaths = { proc: '/proc', cgroup: '/sys/fs/cgroup' };
/** Containers measured per image (the median is used), and in all: a plan costs a bounded number of reads. */
const SAMPLES_PER_IMAGE = 4;
const SAMPLES_MAX = 64;
/** A cgroup limit at least this large means "no limit" (cgroup v1 writes 9223372036854771712). */
const NO_LIMIT = 2 ** 60;

/** What operators (and tests) set: HIY_BOX_MEMORY_LIMIT and HIY_BOX_PIDS_LIMIT, checked. */
export interface BoxLimits {
  memoryLimitBytes?: number;
  pidsLimit?: number;
}

/** Reads HIY_BOX_MEMORY_LIMIT (a size: 4Gi, 512Mi) and HIY_BOX_PIDS_LIMIT (a count); throws on a bad value. */
export function boxLimitsFrom(env: NodeJS.ProcessEnv): BoxLimits {
  const out: BoxLimits = {};
  const memory = env.HIY_BOX_MEMORY_LIMIT?.trim();
  if (memory) {
    if (!MEMORY_PATTERN.test(memory))
      throw new Error(`HIY_BOX_MEMORY_LIMIT must be a size such as 4Gi or 512Mi, not ${memory}`);
    out.memoryLimitBytes = parseMemory(memory);
  }
  const pids = env.HIY_BOX_PIDS_LIMIT?.trim();
  if (pids) {
    if (!/^\d+$/.test(pids)) throw new Error(`HIY_BOX_PIDS_LIMIT must be a number of processes, not ${pids}`);
    out.pidsLimit = Number(pids);
  }
  return out;
}

const readText = (path: string) => readFile(path, 'utf8').catch(() => undefined);
const readNumber = async (path: string): Promise<number | undefined> => {
  const text = (await readText(path))?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : undefined;
};

/** The cgroup directories of the parents Podman puts containers under (cgroupfs, systemd, rootless systemd). */
function parents(v2: boolean, paths: BoxPaths, controller: 'memory' | 'pids'): string[] {
  const root = v2 ? paths.cgroup : `${paths.cgroup}/${controller}`;
  const uid = process.getuid?.() ?? 0;
  return [
    `${root}/libpod_parent`,
    `${root}/machine.slice`,
    `${root}/user.slice/user-${uid}.slice/user@${uid}.service/user.slice`,
  ];
}

/** A container's cgroup directory under one of the parents: `libpod-ID` (cgroupfs) or `libpod-ID.scope`. */
const containerDirs = (parent: string, id: string) => [
  `${parent}/libpod-${id}`,
  `${parent}/libpod-${id}.scope`,
];

async function firstNumber(files: string[]): Promise<number | undefined> {
  for (const f of files) {
    const n = await readNumber(f);
    if (n !== undefined) return n;
  }
  return undefined;
}

/** Measures up to SAMPLES_PER_IMAGE running containers of each image (SAMPLES_MAX in all) from their cgroups. */
async function measure(
  running: readonly ContainerInfo[],
  v2: boolean,
  paths: BoxPaths,
): Promise<ContainerUsage[]> {
  const picked: ContainerInfo[] = [];
  const perImage = new Map<string, number>();
  for (const c of [...running].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const n = perImage.get(c.image) ?? 0;
    if (n >= SAMPLES_PER_IMAGE || picked.length >= SAMPLES_MAX) continue;
    perImage.set(c.image, n + 1);
    picked.push(c);
  }
  const memFile = v2 ? 'memory.current' : 'memory.usage_in_bytes';
  const samples = await Promise.all(
    picked.map(async (c): Promise<ContainerUsage | undefined> => {
      const mem = await firstNumber(
        parents(v2, paths, 'memory').flatMap((p) => containerDirs(p, c.id).map((d) => `${d}/${memFile}`)),
      );
      if (mem === undefined) return undefined;
      const pids = await firstNumber(
        parents(v2, paths, 'pids').flatMap((p) => containerDirs(p, c.id).map((d) => `${d}/pids.current`)),
      );
      return { image: c.image, memoryBytes: mem, ...(pids !== undefined && { pids }) };
    }),
  );
  return samples.filter((s): s is ContainerUsage => s !== undefined);
}

/** MemAvailable, lowered to what a memory limit on the containers' parent cgroup leaves. */
async function memory(v2: boolean, paths: BoxPaths): Promise<BoxFacts['memory']> {
  const meminfo = (await readText(`${paths.proc}/meminfo`)) ?? '';
  let out = { availableBytes: parseMemAvailable(meminfo) ?? 0, source: 'MemAvailable of /proc/meminfo' };
  for (const parent of parents(v2, paths, 'memory')) {
    const limit = await readNumber(`${parent}/${v2 ? 'memory.max' : 'memory.limit_in_bytes'}`);
    const usage = await readNumber(`${parent}/${v2 ? 'memory.current' : 'memory.usage_in_bytes'}`);
    if (limit === undefined || limit >= NO_LIMIT || usage === undefined) continue;
    if (limit - usage < out.availableBytes)
      out = { availableBytes: Math.max(0, limit - usage), source: `the memory limit of ${parent}` };
  }
  return out;
}

/** The room under the tightest of kernel.pid_max, kernel.threads-max and the containers' parent's pids.max. */
async function pids(v2: boolean, paths: BoxPaths): Promise<BoxFacts['pids']> {
  // /proc/loadavg's fourth field is running/total scheduling entities (threads) on the box.
  const loadavg = (await readText(`${paths.proc}/loadavg`))?.split(' ')[3]?.split('/')[1];
  const threads = Number(loadavg) || 0;
  const limits: { limit: number; used: number; source: string }[] = [];
  const pidMax = await readNumber(`${paths.proc}/sys/kernel/pid_max`);
  if (pidMax !== undefined) limits.push({ limit: pidMax, used: threads, source: 'kernel.pid_max' });
  const threadsMax = await readNumber(`${paths.proc}/sys/kernel/threads-max`);
  if (threadsMax !== undefined)
    limits.push({ limit: threadsMax, used: threads, source: 'kernel.threads-max' });
  for (const parent of parents(v2, paths, 'pids')) {
    const max = await readNumber(`${parent}/pids.max`);
    const current = await readNumber(`${parent}/pids.current`);
    if (max !== undefined && current !== undefined)
      limits.push({ limit: max, used: current, source: `pids.max of ${parent}` });
  }
  const tightest = limits.sort((a, b) => a.limit - a.used - (b.limit - b.used))[0];
  return tightest
    ? { free: Math.max(0, tightest.limit - tightest.used), limit: tightest.limit, source: tightest.source }
    : { free: Number.MAX_SAFE_INTEGER, limit: Number.MAX_SAFE_INTEGER, source: 'no PID limit found' };
}

/** A reader of the box's facts for the capacity check (Engine.readBox), with the operator's limits. */
export function boxReader(
  limits: BoxLimits,
  paths: BoxPaths = BOX_PATHS,
): (running: readonly ContainerInfo[]) => Promise<BoxFacts> {
  return async (running) => {
    const v2 = (await readText(`${paths.cgroup}/cgroup.controllers`)) !== undefined;
    const [mem, pid, measured] = await Promise.all([
      memory(v2, paths),
      pids(v2, paths),
      measure(running, v2, paths),
    ]);
    return { memory: mem, pids: pid, measured, ...limits };
  };
}
