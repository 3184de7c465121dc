// `hiy restart`: a new container of the same spec, health-gated, start-first where the resource has no volumes.
import type { ApplyResult } from '../apply/apply.js';
import type { ApplyListener } from '../apply/events.js';
import { LABEL_ONE_OFF, LABEL_RESOURCE, LABEL_SPEC_HASH } from '../model/labels.js';
import { resolveWorkloadName } from '../model/names.js';
import { scopePlan } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import {
  applyAndRecord,
  type Engine,
  planFromHistory,
  readPlanInputs,
  secretDigestsFor,
  withApplyLock,
} from './engine.js';
import { missingContainer, OperationError } from './resourceTarget.js';

export interface RestartOutcome {
  resource: string;
  plan: Plan;
  result: ApplyResult;
}

/**
 * Restarts a resource under the apply lock: the plan the planner would make if the container were out of date
 * (a container.replace of the same spec: snapshot, start the new one, health gate, switch the route, stop the
 * old one; stop-first where volumes or host ports forbid two at once), narrowed to the resource and applied
 * like a rollback. A resource with changes not applied yet is refused (that is `hiy apply`'s job).
 * Recorded as a release (cause `restart`) and a `resource.restarted` event.
 */
export async function restartResource(
  engine: Engine,
  name: string,
  opts: { actor?: string; onEvent?: ApplyListener; onPlan?: (plan: Plan) => void } = {},
): Promise<RestartOutcome> {
  return withApplyLock(engine, async () => {
    const [{ stateRepo, observed }, pins] = await Promise.all([
      readPlanInputs(engine, { forApply: true }),
      engine.stores.pins.read(),
    ]);
    const id = resolveWorkloadName(
      name,
      stateRepo.workloads.map((w) => w.id),
    );
    if (!id) throw await missingContainer(engine, name);
    const digests = await secretDigestsFor(engine, stateRepo, pins);
    const pending = scopePlan(
      planFromHistory(engine, { stateRepo, observed, history: { pins, secretDigests: digests } }).plan,
      id,
      observed.proxy.state,
    );
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
    // The same observation with this container's spec hash made stale: the planner's own replace follows.
    const stale = {
      ...observed,
      containers: observed.containers.map((c) =>
        c === current ? { ...c, labels: { ...c.labels, [LABEL_SPEC_HASH]: 'restart' } } : c,
      ),
    };
    const planned = planFromHistory(engine, {
      stateRepo,
      observed: stale,
      history: { pins, secretDigests: digests },
    });
    const plan = scopePlan(planned.plan, id, observed.proxy.state);
    for (const a of plan.actions) a.reason = `restart${opts.actor ? ` requested by ${opts.actor}` : ''}`;
    opts.onPlan?.(plan);
    const result = await applyAndRecord(engine, { ...planned, observed, plan }, opts.onEvent, {
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
