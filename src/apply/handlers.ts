// One handler per action kind: the compiler checks that every kind of the plan has its step.
import type { Action } from '../plan/types.js';
import { buildImage } from './build.js';
import { reloadCertificate } from './certificates.js';
import { ensureRunning, removeFromAnyState } from './ensureRunning.js';
import { runCheckHook } from './hooks.js';
import { replaceStopFirst } from './replace.js';
import { ensureSecrets } from './secrets.js';
import { startNext } from './startFirst.js';
import { awaitHealthy, faultsOf, type Handler, networked, runJournaled } from './steps.js';
import type { ApplyDeps } from './types.js';

const handlers: { [K in Action['kind']]: Handler<K> } = {
  'volume.create': async (a, deps) => {
    await faultsOf(deps).during('volume:create', () =>
      deps.podman.createVolume(a.volume.name, a.volume.labels),
    );
    return undefined;
  },
  'image.build': buildImage,
  'container.create': async (planned, deps) => {
    await ensureSecrets(planned, deps);
    const a = await networked(planned, deps);
    await runCheckHook(a, deps);
    return runJournaled(deps, a.run, () => awaitHealthy(a, deps));
  },
  // Start-first: the old container keeps serving; the new one must prove healthy before Caddy switches to it
  // (its retirement is a step of the removals phase, retireOld).
  'container.replace': (planned, deps) =>
    planned.strategy === 'start-first' ? startNext(planned, deps) : replaceStopFirst(planned, deps),
  'container.start': async (a, deps) => {
    // From the state observed with the plan: `podman start` alone refuses a paused or half-stopped container.
    const state = (a.before as { state?: string } | null)?.state ?? 'exited';
    await faultsOf(deps).during('start:start', () =>
      ensureRunning(deps.podman, {
        name: a.container.name,
        state,
        stopTimeoutSeconds: a.container.stopTimeoutSeconds,
      }),
    );
    return awaitHealthy(a, deps);
  },
  'container.delete': async (a, deps) => {
    const { name, id } = a.container;
    await deps.keepLogs?.({ resource: a.resource, id, name, reason: 'removed' });
    // A delete cut short may have left it `stopping`: removeFromAnyState finishes the stop first.
    await faultsOf(deps).during('delete:rm', () =>
      removeFromAnyState(deps.podman, {
        name: a.container.name,
        stopTimeoutSeconds: a.container.stopTimeoutSeconds,
      }),
    );
    return undefined;
  },
  'certificate.reload': reloadCertificate,
  // Route changes are not applied one by one: the whole of HIY's Caddy state is loaded once (prepareCaddyConfig).
  'route.change': async () => undefined,
};

/** Runs the handler of the action's kind. */
export function runHandler(action: Action, deps: ApplyDeps): Promise<string | undefined> {
  return (handlers[action.kind] as Handler<Action['kind']>)(action as never, deps);
}
