// Whether the containers a plan starts fit the box (memory, processes): pure, from box facts read by a driver.
import type { BoxFacts, ContainerUsage } from '../model/box.js';
import type { ContainerInfo } from '../model/containers.js';
import type { Action, CapacityCheck, CapacityEstimate } from './types.js';

/** A container of an image HIY has not measured and that declares no `resources.memory`: a small service. */
export const DEFAULT_CONTAINER_MEMORY = 16 * 1024 ** 2;
/** Processes of such a container, conmon included: busybox httpd is 1 + 1; most servers start a few. */
export const DEFAULT_CONTAINER_PIDS = 4;
/** What each container costs outside its cgroup: conmon (≈0.35 MB resident) and the kernel's network objects. */
export const CONTAINER_OVERHEAD = 1024 ** 2;
/** Above this share of what the box has left, the plan says so (page cache, builds and HIY need the rest). */
export const CAPACITY_TIGHT_SHARE = 0.8;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Per image: the median memory and processes of its measured containers. */
function measuredByImage(samples: readonly ContainerUsage[]): Map<string, { memory: number; pids?: number }> {
  const by = new Map<string, ContainerUsage[]>();
  for (const s of samples) by.set(s.image, [...(by.get(s.image) ?? []), s]);
  const out = new Map<string, { memory: number; pids?: number }>();
  for (const [image, list] of by) {
    const pids = list.flatMap((s) => (s.pids === undefined ? [] : [s.pids]));
    out.set(image, {
      memory: median(list.map((s) => s.memoryBytes)),
      ...(pids.length > 0 && { pids: median(pids) }),
    });
  }
  return out;
}

/** Megabytes as people read them: `512 MiB`, `1.6 GiB`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return `${Math.max(0, Math.round(bytes / 1024 ** 2))} MiB`;
}

/** True when the actions start a container (so the capacity check needs the box's facts). */
export function startsContainers(actions: readonly Action[]): boolean {
  return actions.some((a) => a.kind === 'container.create' || a.kind === 'container.start');
}

/** The containers a plan starts beyond those running: creates, and stopped ones started again. */
function startedBy(actions: readonly Action[]): { image: string; memoryBytes?: number }[] {
  return actions.flatMap((a) =>
    a.kind === 'container.create' || a.kind === 'container.start'
      ? [{ image: a.run.image, ...(a.run.memoryBytes !== undefined && { memoryBytes: a.run.memoryBytes }) }]
      : [],
  );
}

/**
 * Judges whether the containers `actions` start fit the box: their memory (measured per image where HIY runs
 * that image already, else the declared limit, else DEFAULT_CONTAINER_MEMORY; each plus CONTAINER_OVERHEAD)
 * against the memory available, and their processes against the room under the tightest PID limit. With
 * HIY_BOX_MEMORY_LIMIT / HIY_BOX_PIDS_LIMIT, what this instance's running containers use counts against them.
 * Undefined when the plan starts no container. Pure.
 */
export function assessCapacity(input: {
  actions: readonly Action[];
  running: readonly Pick<ContainerInfo, 'image' | 'state'>[];
  box: BoxFacts;
}): CapacityCheck | undefined {
  const started = startedBy(input.actions);
  if (started.length === 0) return undefined;
  const { box } = input;
  const measured = measuredByImage(box.measured);
  const estimate: CapacityEstimate = { measured: 0, declared: 0, default: 0 };
  let needBytes = 0;
  let needPids = 0;
  for (const c of started) {
    const m = measured.get(c.image);
    const basis = m ? 'measured' : c.memoryBytes !== undefined ? 'declared' : 'default';
    estimate[basis]++;
    needBytes += (m?.memory ?? c.memoryBytes ?? DEFAULT_CONTAINER_MEMORY) + CONTAINER_OVERHEAD;
    needPids += m?.pids !== undefined ? m.pids + 1 : DEFAULT_CONTAINER_PIDS;
  }
  const running = input.running.filter((c) => c.state === 'running');
  let budgetBytes = box.memory.availableBytes;
  let memorySource = box.memory.source;
  if (box.memoryLimitBytes !== undefined) {
    const used = running.reduce(
      (n, c) => n + (measured.get(c.image)?.memory ?? DEFAULT_CONTAINER_MEMORY) + CONTAINER_OVERHEAD,
      0,
    );
    const left = box.memoryLimitBytes - used;
    if (left < budgetBytes) {
      budgetBytes = Math.max(0, left);
      memorySource = `HIY_BOX_MEMORY_LIMIT ${formatSize(box.memoryLimitBytes)}, ${running.length} running container(s) of this instance using about ${formatSize(used)}`;
    }
  }
  let pidBudget = box.pids.free;
  let pidSource = `${box.pids.source} ${box.pids.limit}`;
  if (box.pidsLimit !== undefined) {
    const used = running.reduce((n, c) => {
      const p = measured.get(c.image)?.pids;
      return n + (p !== undefined ? p + 1 : DEFAULT_CONTAINER_PIDS);
    }, 0);
    const left = box.pidsLimit - used;
    if (left < pidBudget) {
      pidBudget = Math.max(0, left);
      pidSource = `HIY_BOX_PIDS_LIMIT ${box.pidsLimit}, ${running.length} running container(s) of this instance using about ${used}`;
    }
  }
  const problems: string[] = [];
  const judge = (need: number, budget: number) =>
    need > budget ? 'exceeded' : need > budget * CAPACITY_TIGHT_SHARE ? 'tight' : 'ok';
  const memVerdict = judge(needBytes, budgetBytes);
  const pidVerdict = judge(needPids, pidBudget);
  const n = started.length;
  if (memVerdict !== 'ok')
    problems.push(
      `the ${n} container(s) it starts need about ${formatSize(needBytes)} of memory (${basisText(estimate)}); ` +
        `${memVerdict === 'exceeded' ? 'only ' : ''}${formatSize(budgetBytes)} ${memVerdict === 'exceeded' ? 'are' : 'is'} available (${memorySource})`,
    );
  if (pidVerdict !== 'ok')
    problems.push(
      `the ${n} container(s) it starts need about ${needPids} processes (conmon included); ` +
        `${pidVerdict === 'exceeded' ? 'only ' : ''}${pidBudget} more may start (${pidSource})`,
    );
  const verdict = [memVerdict, pidVerdict].includes('exceeded')
    ? 'exceeded'
    : [memVerdict, pidVerdict].includes('tight')
      ? 'tight'
      : 'ok';
  return {
    verdict,
    starts: n,
    memory: { needBytes, budgetBytes, source: memorySource, estimate },
    pids: { need: needPids, budget: pidBudget, source: pidSource },
    problems,
  };
}

/** `3 measured, 2 at their declared limit, 95 at the 16 MiB default` (each plus 1 MiB for conmon). */
function basisText(e: CapacityEstimate): string {
  const parts = [
    e.measured > 0 ? `${e.measured} as measured on this box` : '',
    e.declared > 0 ? `${e.declared} at their declared resources.memory` : '',
    e.default > 0 ? `${e.default} at the ${formatSize(DEFAULT_CONTAINER_MEMORY)} default` : '',
  ].filter(Boolean);
  return `${parts.join(', ')}; each + ${formatSize(CONTAINER_OVERHEAD)} for conmon and the kernel`;
}
