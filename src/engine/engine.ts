// The engine's public face: one pass of the loop (plan, guard, apply, record) through the one operation runner.

export { type Applied, type AppliedSubscriber, publishApplied } from './applied.js';
export { type LockedRunOptions, withApplyLock } from './applyLock.js';
export type { Engine } from './context.js';
export {
  assertSafeToApply,
  isRefusal,
  MassDeleteError,
  OverCapacityError,
  type SafetyOptions,
} from './guard.js';
export { type LockWait, retryWhileLocked } from './lockWait.js';
export {
  applyAndRecord,
  type Operation,
  type OperationResult,
  runLocked,
  runOperation,
} from './operation.js';
export {
  computePlan,
  type EffectiveState,
  effectiveDesired,
  loadDesired,
  type Planned,
  type PlanOptions,
  planFromHistory,
  readHistory,
  readPlanInputs,
  reposDir,
  StalePlanError,
  type StateSource,
  secretDigestsFor,
  verifySavedPlan,
  viewDesired,
} from './planning.js';
export type { RecordOptions } from './record.js';
export {
  GIT_STYLE,
  type HumanStyle,
  humanView,
  JSON_VIEW,
  logView,
  type OperationView,
  TERMINAL_STYLE,
} from './views.js';
