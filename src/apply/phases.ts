// The phases of an apply, in order, each with the actions it runs, how many at once, and the step it runs.
import type { Action } from '../plan/types.js';
import { runHandler } from './handlers.js';
import { retireOld } from './startFirst.js';
import type { ApplyDeps } from './types.js';

/** One phase: the kinds it takes, whether they run at once, and the step each action runs in it. */
export interface ApplyPhase {
  name: 'volumes' | 'builds' | 'containers' | 'routes' | 'removals';
  kinds: Action['kind'][];
  parallel: boolean;
  step: (action: Action, deps: ApplyDeps) => Promise<string | undefined>;
}

export const PHASES: ApplyPhase[] = [
  { name: 'volumes', kinds: ['volume.create'], parallel: true, step: runHandler },
  { name: 'builds', kinds: ['image.build'], parallel: false, step: runHandler },
  {
    name: 'containers',
    kinds: ['container.create', 'container.replace', 'container.start', 'certificate.reload'],
    parallel: true,
    step: runHandler,
  },
  // Loaded at once by applyPlan (loadRoutes); never run one by one.
  { name: 'routes', kinds: ['route.change'], parallel: false, step: runHandler },
  // Start-first replacements are finished here, once Caddy no longer sends anything to the old container.
  {
    name: 'removals',
    kinds: ['container.delete', 'container.replace'],
    parallel: true,
    step: (a, deps) => (a.kind === 'container.replace' ? retireOld(a, deps) : runHandler(a, deps)),
  },
];

/** Whether the phase runs this action (the removals phase only the retirement of a start-first replace). */
export function inPhase(phase: ApplyPhase, a: Action): boolean {
  if (!phase.kinds.includes(a.kind)) return false;
  if (phase.name === 'removals' && a.kind === 'container.replace') return a.strategy === 'start-first';
  return true;
}

/** Runs `fn` on every item, at most `limit` at once. */
export async function runLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
