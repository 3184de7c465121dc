// A start-first replace: the new container starts and proves healthy while the old one serves; once Caddy
// routes to the new one, the old one is retired (removed) and the new one takes its name.
import type { ContainerReplace, Plan } from '../plan/types.js';
import type { JournalEntry } from '../store/journal.js';
import { removeFromAnyState } from './ensureRunning.js';
import { runCheckHook } from './hooks.js';
import { ensureSecrets } from './secrets.js';
import { awaitHealthy, faultsOf, journal, networked, removeFailed, runJournaled } from './steps.js';
import type { ActionResult, ApplyDeps } from './types.js';

/** The journal record of a start-first switch; its id is derived from the names, so phases pair up. */
function switchEntry(a: ContainerReplace, phase: 'healthy' | 'routed' | 'done'): JournalEntry {
  return {
    id: `switch:${a.finalName}`,
    kind: 'switch',
    old: a.previous.name,
    next: a.run.name,
    final: a.finalName,
    phase,
  };
}

/** The containers phase: the new container runs next to the old one and must prove healthy. */
export async function startNext(planned: ContainerReplace, deps: ApplyDeps): Promise<string | undefined> {
  await deps.podman.removeContainer(planned.run.name, 0);
  await ensureSecrets(planned, deps);
  const a = await networked(planned, deps);
  await runCheckHook(a, deps);
  try {
    return await runJournaled(deps, a.run, async () => {
      const note = await awaitHealthy(a, deps);
      await journal(deps, switchEntry(a, 'healthy'));
      return note;
    });
  } catch (err) {
    throw await removeFailed(a, deps, err);
  }
}

/** The routes phase, once Caddy loaded: each start-first replace whose new container is healthy is routed. */
export async function recordRouted(
  plan: Plan,
  results: ReadonlyMap<string, ActionResult>,
  deps: ApplyDeps,
): Promise<void> {
  for (const a of plan.actions) {
    if (
      a.kind === 'container.replace' &&
      a.strategy === 'start-first' &&
      results.get(a.address)?.status === 'done'
    )
      await journal(deps, switchEntry(a, 'routed'));
  }
}

/** The removals phase, after Caddy switched: the old container goes, the new one takes its name. */
export async function retireOld(a: ContainerReplace, deps: ApplyDeps): Promise<string | undefined> {
  const { name, id } = a.previous;
  await deps.keepLogs?.({ resource: a.resource, id, name, reason: 'replaced' });
  await faultsOf(deps).during('switch:rm', () =>
    removeFromAnyState(deps.podman, {
      name: a.previous.name,
      stopTimeoutSeconds: a.previous.stopTimeoutSeconds,
    }),
  );
  await faultsOf(deps).during('switch:rename', () => deps.podman.renameContainer(a.run.name, a.finalName));
  await journal(deps, switchEntry(a, 'done'));
  return 'old container retired';
}
