// What follows an applied plan besides its record: subscribers to the "applied" event (pins lifted by the
// state repo, the ssh account's keys, dashboard sessions of removed Users), told in order after recording.
import { pruneDashboardAccess } from '../access/dashboardAccess.js';
import { syncAccountKeys } from '../access/sshAccount.js';
import type { ApplyResult } from '../apply/apply.js';
import { errorMessage } from '../model/errors.js';
import type { Engine } from './context.js';
import type { Planned } from './planning.js';

/** One applied plan, recorded: what the subscribers are told. */
export interface Applied {
  planned: Planned;
  result: ApplyResult;
  /** The resources the apply was narrowed to (a rollback, a restart); absent: the whole state. */
  scope?: readonly string[];
}

/** Reacts to an applied plan; holds the apply lock. A subscriber that must not fail the run catches its errors. */
export type AppliedSubscriber = (engine: Engine, applied: Applied) => Promise<void>;

/** Pins the state repo lifted (it changed the pinned resource) are removed. */
export const liftPins: AppliedSubscriber = async (engine, { planned, scope }) => {
  const lifted = (planned.plan.pins ?? []).filter(
    (p) => p.state === 'lifted' && (!scope || scope.includes(p.resource)),
  );
  if (lifted.length === 0) return;
  await engine.stores.pins.remove(lifted.map((p) => p.resource));
  engine.logger.info({ resources: lifted.map((p) => p.resource) }, 'pins lifted by state repo changes');
};

/** The ssh account's keys follow the Users of each applied state (a removed key stops working now). */
export const syncSshKeys: AppliedSubscriber = async (engine, { planned, scope }) => {
  if (scope) return;
  try {
    if ((await syncAccountKeys(engine.settings.dataDir, planned.stateRepo.users)) === 'written')
      engine.logger.info({ users: planned.stateRepo.users.length }, 'ssh account authorized_keys updated');
  } catch (err) {
    engine.logger.error({ error: errorMessage(err) }, 'could not update the ssh account authorized_keys');
  }
};

/** A removed User loses its dashboard sessions and passkeys with the same apply. */
export const pruneDashboard: AppliedSubscriber = async (engine, { planned, scope }) => {
  if (scope) return;
  await pruneDashboardAccess(engine.stores, planned.stateRepo.users).catch((err: unknown) =>
    engine.logger.error({ error: errorMessage(err) }, 'could not prune dashboard sessions'),
  );
};

/** The subscribers of every apply, in the order they are told. */
export const APPLIED_SUBSCRIBERS: readonly AppliedSubscriber[] = [liftPins, syncSshKeys, pruneDashboard];

/** Tells each subscriber, in order, that a plan was applied and recorded. */
export async function publishApplied(
  engine: Engine,
  applied: Applied,
  subscribers: readonly AppliedSubscriber[] = APPLIED_SUBSCRIBERS,
): Promise<void> {
  for (const subscriber of subscribers) await subscriber(engine, applied);
}
