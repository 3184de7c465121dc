// The order actions are applied in, and the counts a plan summarizes them by. Pure.
import type { Action, PlanSummary } from './types.js';

const PHASE: Record<Action['kind'], number> = {
  'volume.create': 0,
  'image.build': 1,
  'container.replace': 2,
  'container.create': 2,
  'container.start': 2,
  'certificate.reload': 2,
  'route.change': 3,
  'container.delete': 4,
};

/** Puts actions in apply order: by phase (volumes, builds, containers, routes, removals), then by address. */
export function sortActions(actions: Action[]): Action[] {
  return actions.sort((a, b) => PHASE[a.kind] - PHASE[b.kind] || a.address.localeCompare(b.address));
}

/** How many actions of each change a plan holds. */
export function summarize(actions: readonly Action[]): PlanSummary {
  const s: Record<keyof PlanSummary, number> = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const a of actions) s[a.change]++;
  return s;
}
