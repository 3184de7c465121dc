// `hiy restart`: a new container of the same spec, health-gated, start-first where the resource has no volumes.

import { resolveWorkloadName } from '../access/targets.js';
import type { ApplyResult } from '../apply/apply.js';
import { LABEL_ONE_OFF, LABEL_RESOURCE } from '../model/labels.js';
import { scopePlan } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import type { Engine } from './context.js';
import { checkDataVersions } from './dataVersions.js';
import { runOperation } from './operation.js';
import { type Planned, planFromHistory, readHistory, readPlanInputs } from './planning.js';
import { missingContainer, OperationError } from './resourceTarget.js';
import type { OperationView } from './views.js';

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
  opts: { actor?: string; view?: OperationView } = {},
): Promise<RestartOutcome> {
  let id = '';
  const { planned, result } = await runOperation(engine, {
    plan: async () => {
      const p = await planRestart(engine, name, opts.actor);
      id = p.id;
      return p.planned;
    },
    ...(opts.view && { view: opts.view }),
    record: () => ({ scope: [id], cause: 'restart' }),
    finish: async (_planned, applied) => {
      await engine.stores.events.append([
        {
          type: applied.ok ? 'resource.restarted' : 'resource.failed',
          resource: id,
          message: applied.ok
            ? `${id} restarted${opts.actor ? ` by ${opts.actor}` : ''}`
            : `restart of ${id} failed; the previous container runs again`,
          data: { ok: applied.ok, ...(opts.actor && { actor: opts.actor }) },
        },
      ]);
    },
  });
  return { resource: id, plan: planned.plan, result };
}

/**
 * The restart's plan, as hiy apply plans (pins, secrets, networks, data versions) with the forced replace,
 * narrowed to the resource; refused when the resource is not converged or has no container.
 */
async function planRestart(
  engine: Engine,
  name: string,
  actor: string | undefined,
): Promise<{ id: string; planned: Planned }> {
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
  const request = { replace: [id], ...(actor && { actor }) };
  const planned = planFromHistory(engine, { stateRepo, observed, history, request });
  await checkDataVersions(engine, { ...planned, request });
  return { id, planned: { ...planned, plan: scopePlan(planned.plan, id, observed.proxy.state) } };
}
