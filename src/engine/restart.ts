// `hiy restart`: a new container of the same spec, health-gated, start-first where the resource has no volumes.

import { resolveWorkloadName } from '../access/targets.js';
import type { ApplyResult } from '../apply/apply.js';
import type { ApplyListener } from '../apply/events.js';
import { LABEL_ONE_OFF, LABEL_RESOURCE } from '../model/labels.js';
import { scopePlan } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { checkDataVersions } from './dataVersions.js';
import {
  applyAndRecord,
  type Engine,
  planFromHistory,
  readHistory,
  readPlanInputs,
  withApplyLock,
} from './engine.js';
import { missingContainer, OperationError } from './resourceTarget.js';

export interface RestartOutcome {
  resource: string;
  plan: Plan;
  result: ApplyResult;
}

/**
 * Restarts a resource under the apply lock: the planner's forced replace of its container (a plan request, as
 * Terraform's `-replace`: reason `restart`, its snapshots recorded with reason `restart`; snapshot, start the new
 * one, health gate, switch the route, stop the old one; stop-first where volumes or host ports forbid two at
 * once), narrowed to the resource and applied like a rollback. A resource with changes not applied yet is refused
 * (that is `hiy apply`'s job). Recorded as a release (cause `restart`) and a `resource.restarted` event.
 */
export async function restartResource(
  engine: Engine,
  name: string,
  opts: { actor?: string; onEvent?: ApplyListener; onPlan?: (plan: Plan) => void } = {},
): Promise<RestartOutcome> {
  return withApplyLock(engine, async () => {
    // Planned as hiy apply plans (pins, secrets, networks, data versions); only this resource is judged.
    const { stateRepo, observed } = await readPlanInputs(engine, { forApply: true });
    const history = await readHistory(engine, stateRepo);
    const converged = planFromHistory(engine, { stateRepo, observed, history });
    const id = resolveWorkloadName(
      name,
      stateRepo.workloads.map((w) => w.id),
    );
    if (!id) throw await missingContainer(engine, name);
    const pending = scopePlan(converged.plan, id, observed.proxy.state);
    if (pending.actions.length > 0) {
      throw new OperationError(
        'NOT_CONVERGED',
        `${id} has changes not applied yet (${pending.actions.map((a) => a.kind).join(', ')}); run hiy apply instead`,
        { resource: id },
      );
    }
    const current = observed.containers.find(
      (c) => c.labels[LABEL_RESOURCE] === id && !c.labels[LABEL_ONE_OFF],
    );
    if (!current) throw await missingContainer(engine, name);
    const request = { replace: [id], ...(opts.actor && { actor: opts.actor }) };
    const planned = planFromHistory(engine, { stateRepo, observed, history, request });
    await checkDataVersions(engine, { ...planned, request });
    const plan = scopePlan(planned.plan, id, observed.proxy.state);
    opts.onPlan?.(plan);
    const result = await applyAndRecord(engine, { ...planned, plan }, opts.onEvent, {
      scope: [id],
      cause: 'restart',
    });
    await engine.stores.events.append([
      {
        type: result.ok ? 'resource.restarted' : 'resource.failed',
        resource: id,
        message: result.ok
          ? `${id} restarted${opts.actor ? ` by ${opts.actor}` : ''}`
          : `restart of ${id} failed; the previous container runs again`,
        data: { ok: result.ok, ...(opts.actor && { actor: opts.actor }) },
      },
    ]);
    return { resource: id, plan, result };
  });
}
