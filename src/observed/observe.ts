// Reads the observed state in exactly three calls: containers, volumes (both label-filtered) and Caddy's config.
import { parseOwned } from '../drivers/caddy/render.js';
import type { CaddyDriver } from '../drivers/caddy/types.js';
import type { PodmanDriver } from '../drivers/podman/types.js';
import { errorMessage, HiyError } from '../model/errors.js';
import {
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_ONE_OFF,
  MANAGED_BY_VALUE,
  ownershipLabels,
} from '../model/labels.js';
import { objectNames } from '../model/names.js';
import { hashOf } from '../model/workload.js';
import type { ObservedState } from './types.js';

/** Observation failed: nothing may be planned from it, least of all a delete. */
export class ObservationError extends HiyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OBSERVATION_FAILED', message, { ...options });
    this.name = 'ObservationError';
  }
}

export interface ObserveOptions {
  podman: PodmanDriver;
  caddy: CaddyDriver;
  instance: string;
}

/** Observes containers, volumes and Caddy concurrently; any failure fails the whole observation. */
export async function observe(opts: ObserveOptions): Promise<ObservedState> {
  const labels = ownershipLabels(opts.instance);
  // All HIY containers, of every instance, in the one list call: this instance owns only its own, but must
  // know the host ports the others publish so that it never picks one of them for an upstream.
  const results = await Promise.allSettled([
    opts.podman.listContainers({ [LABEL_MANAGED_BY]: MANAGED_BY_VALUE }),
    opts.podman.listVolumes(labels),
    opts.caddy.getConfig(),
  ]);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    const text = failures.map((f) => errorMessage(f)).join('; ');
    throw new ObservationError(`cannot observe the current state, so nothing is planned: ${text}`, {
      cause: failures[0],
    });
  }
  const [allContainers, volumes, caddyConfig] = results.map(
    (r) => (r as PromiseFulfilledResult<unknown>).value,
  ) as [
    Awaited<ReturnType<PodmanDriver['listContainers']>>,
    Awaited<ReturnType<PodmanDriver['listVolumes']>>,
    Awaited<ReturnType<CaddyDriver['getConfig']>>,
  ];
  const proxy = parseOwned(caddyConfig, objectNames(opts.instance).caddyServer);
  // A one-off (hiy run, a job) of an App carries its image's ownership labels, but is no container of the plan:
  // seen as a stray, a reconcile during a job run removed it and reported drift. Its own code removes it.
  const containers = allContainers.filter(
    (c) => c.labels[LABEL_INSTANCE] === opts.instance && !c.labels[LABEL_ONE_OFF],
  );
  const portsInUse = allContainers
    .filter((c) => c.labels[LABEL_INSTANCE] !== opts.instance)
    .flatMap((c) => c.ports.map((p) => p.hostPort));
  return {
    containers,
    volumes,
    caddyConfig,
    proxy,
    portsInUse: [...new Set(portsInUse)].sort((a, b) => a - b),
  };
}

/** A fingerprint of what HIY owns in the observation; a saved plan is refused when it changed. */
export function fingerprintObserved(observed: ObservedState): string {
  return hashOf({
    containers: observed.containers
      .map((c) => ({ id: c.id, name: c.name, state: c.state, labels: c.labels, networks: c.networks }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    volumes: observed.volumes.map((v) => v.name).sort(),
    proxy: observed.proxy,
  });
}
