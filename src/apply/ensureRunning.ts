// Brings a container to running, or removes it, from whatever state a killed Podman call left it in.
//
// What Podman 4.3 leaves when the podman process is killed half-way (test/integration/crash.test.ts cuts each
// call): `podman stop` leaves the container `stopping`, which `podman start` refuses and `podman rm -f` "removes"
// while its process and conmon keep running (with its host ports bound); `podman start` leaves it `exited` with
// its network address still allocated, or with a runtime container left over, so the next start fails once
// and cleans up; `podman run` leaves it `created`, sometimes with a runtime container that `podman rm -f` leaks
// (conmon keeps the host ports) and sometimes with a busy shm mount that makes the first `podman rm` fail.

import type { ContainerInfo, PodmanDriver } from '../drivers/podman/types.js';
import { stopTimeoutOf as labelledStopTimeout } from '../model/labels.js';

/** Podman states from which `podman start` runs a container. */
const STARTABLE = new Set(['created', 'configured', 'initialized', 'exited', 'stopped']);

/**
 * Brings a container to `running` from whatever state Podman left it in, and says how: a paused one is
 * unpaused; one left `stopping` (or in another state Podman cannot start from) has its stop finished first,
 * with its own grace period, then is started; a created or exited one is started. A start that fails is tried
 * once more after a stop (which releases what a start cut short left allocated). Undefined when it was running.
 */
export async function ensureRunning(
  podman: PodmanDriver,
  c: { name: string; state: string; stopTimeoutSeconds: number },
): Promise<string | undefined> {
  const state = c.state.toLowerCase();
  if (state === 'running') return undefined;
  if (state === 'paused') {
    await podman.unpauseContainer(c.name);
    return 'unpaused';
  }
  const finishStop = !STARTABLE.has(state);
  if (finishStop) await podman.stopContainer(c.name, c.stopTimeoutSeconds);
  try {
    await podman.startContainer(c.name);
  } catch {
    await podman.stopContainer(c.name, c.stopTimeoutSeconds).catch(() => undefined);
    await podman.startContainer(c.name);
  }
  return finishStop ? `finished the stop cut short (${state}) and started` : 'started';
}

/**
 * Removes a container whatever state it is in (absent is fine) without leaving its process behind: one that
 * may still be stopping (or whose state is not known) is stopped first; a created one is initialized first (it
 * fails on a leftover of a killed `podman run`, and cleans it up); a removal that fails is tried once more.
 */
export async function removeFromAnyState(
  podman: PodmanDriver,
  c: { name: string; state?: string; stopTimeoutSeconds: number },
): Promise<void> {
  const state = c.state?.toLowerCase();
  if (state === 'created' || state === 'configured')
    await podman.initContainer(c.name).catch(() => undefined);
  else if (state === undefined || !['running', 'paused', 'exited', 'stopped', 'initialized'].includes(state))
    await podman.stopContainer(c.name, c.stopTimeoutSeconds).catch(() => undefined);
  try {
    await podman.removeContainer(c.name, c.stopTimeoutSeconds);
  } catch {
    // e.g. "removing container … root filesystem: … device or resource busy" right after a killed run.
    await new Promise((r) => setTimeout(r, 500));
    await podman.removeContainer(c.name, c.stopTimeoutSeconds);
  }
}

/** The grace period a container was created with (its `hiy.stop-timeout` label). */
export function stopTimeoutOf(c: ContainerInfo): number {
  return labelledStopTimeout(c.labels);
}
