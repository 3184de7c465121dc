// What a caller granted only some resources may see of whole-box answers (status, plan, events): theirs only.
import type { StatusView } from '../engine/statusView.js';
import type { ControllerEvent } from '../model/events.js';
import { summarize } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';

/** Whether the caller may view this resource id (`app/site`). */
export type CanView = (resource: string) => boolean;

/**
 * The status view narrowed to the resources the caller may view: their rows and their retained volumes. The
 * box-wide last error can name other resources, so it is left out (each row keeps its own error), and so are the
 * certificates (they name every route host).
 */
export function statusVisibleTo(view: StatusView, canView: CanView): StatusView {
  const retainedVolumes = view.retainedVolumes.filter((v) => {
    const owner = view.retainedOwners[v];
    return owner !== undefined && canView(owner);
  });
  const { lastError: _lastError, certificates: _certificates, ...rest } = view;
  return {
    ...rest,
    resources: view.resources.filter((r) => canView(r.id)),
    retainedVolumes,
    retainedOwners: Object.fromEntries(retainedVolumes.map((v) => [v, view.retainedOwners[v]!])),
  };
}

/**
 * A plan narrowed to the caller's resources: their actions, retained volumes and pins, a summary of those, and
 * neither the whole proxy state nor the mass-delete note (both name resources the caller may not see).
 */
export function planVisibleTo(plan: Plan, canView: CanView): Omit<Plan, 'proxy' | 'massDelete'> {
  const { proxy: _proxy, massDelete: _massDelete, ...rest } = plan;
  const actions = plan.actions.filter((a) => canView(a.resource));
  const pins = plan.pins?.filter((p) => canView(p.resource));
  return {
    ...rest,
    actions,
    retained: plan.retained.filter((r) => canView(r.resource)),
    ...(pins ? { pins } : {}),
    summary: summarize(actions),
  };
}

/** What a box-wide event says to a caller who may not see the whole box: its type only, no resource named. */
export function boxWideSummary(type: string): string {
  return `${type} (box-wide; its details are shown to users granted "*")`;
}

/**
 * An event as `canView` may see it (live streams and the events page): a resource's event only when the caller
 * may view that resource; a box-wide one (a reconcile that failed, naming any resource) whole to a caller who
 * may view everything (`seesAll`), else with its message replaced by its type and its data left out.
 * Undefined: not shown at all.
 */
export function eventVisibleTo<E extends Pick<ControllerEvent, 'type' | 'resource' | 'message' | 'data'>>(
  e: E,
  canView: CanView,
  seesAll: boolean,
): E | undefined {
  if (seesAll) return e;
  if (e.resource) return canView(e.resource) ? e : undefined;
  const { data: _data, ...rest } = e;
  return { ...rest, message: boxWideSummary(e.type) } as E;
}
