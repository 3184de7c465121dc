// Brings a container back to running from whatever state Podman left it in (recovery and `container.start`).
import type { ContainerInfo, PodmanDriver } from '../drivers/podman/types.js';

/** Podman states from which `podman start` runs a container. */
const STARTABLE = new Set(['created', 'configured', 'initialized', 'exited', 'stopped']);

/**
 * Brings a container to `running` from whatever state Podman left it in, and says how: a paused one is
 * unpaused; one left `stopping` (its `podman stop` was killed half-way, and Podman refuses to start it until
 * the stop is finished) or in a state Podman cannot start from is stopped first, with its own grace period,
 * then started; a created or exited one is started. Undefined when it was running already.
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
  await podman.startContainer(c.name);
  return finishStop ? `finished the stop cut short (${state}) and started` : 'started';
}

/** The grace period a container was created with (its `hiy.stop-timeout` label). */
export function stopTimeoutOf(c: ContainerInfo): number {
  const grace = Number(c.labels['hiy.stop-timeout'] ?? '10');
  return Number.isFinite(grace) ? grace : 10;
}
