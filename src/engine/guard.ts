// The guard between a plan and its apply: a mass delete or a plan that does not fit the box is refused.
import { HiyError } from '../model/errors.js';
import type { Plan } from '../plan/types.js';

/** A plan that removes most of what HIY manages, applied without --allow-mass-delete. */
export class MassDeleteError extends HiyError<{ removing: string[]; managed: number }> {
  constructor(data: { removing: string[]; managed: number }) {
    super(
      'MASS_DELETE_REFUSED',
      `refusing to remove ${data.removing.length} of the ${data.managed} resources HIY manages at once (${data.removing.join(', ')}); ` +
        'if the state repo really means it, apply with --allow-mass-delete (volumes are kept either way)',
      { data },
    );
    this.name = 'MassDeleteError';
  }
}

/** A plan whose containers do not fit the box (Plan.capacity), applied without --allow-over-capacity. */
export class OverCapacityError extends HiyError<{ problems: readonly string[] }> {
  constructor(data: { problems: readonly string[] }) {
    super(
      'OVER_CAPACITY_REFUSED',
      `refusing a plan that does not fit this box: ${data.problems.join('; ')}; nothing was changed. ` +
        'Declare smaller resources.memory, remove resources or free the box; to start them anyway, apply with --allow-over-capacity',
      { data },
    );
    this.name = 'OverCapacityError';
  }
}

/** What a caller allows past the guard (`--allow-mass-delete`, `--allow-over-capacity`). */
export interface SafetyOptions {
  allowMassDelete: boolean;
  allowOverCapacity?: boolean;
}

/**
 * Refuses a plan that would remove more than half of the managed resources, or whose containers do not fit the
 * box (it would fail halfway and thrash), unless allowed. Nothing has been changed when it throws.
 */
export function assertSafeToApply(plan: Plan, opts: SafetyOptions): void {
  if (plan.massDelete && !opts.allowMassDelete) throw new MassDeleteError(plan.massDelete);
  if (plan.capacity?.verdict === 'exceeded' && !opts.allowOverCapacity)
    throw new OverCapacityError({ problems: plan.capacity.problems });
}

/** True for the guard's refusals (the daemon records them as the run's outcome). */
export function isRefusal(err: unknown): err is MassDeleteError | OverCapacityError {
  return err instanceof MassDeleteError || err instanceof OverCapacityError;
}
