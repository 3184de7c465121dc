// Executes a Plan step by step: phases in order (phases.ts), one handler per action kind (handlers.ts), a
// stop-first or start-first replace (replace.ts, startFirst.ts), one Caddy load for all routes (caddy.ts).
import type { CaddyConfig } from '../drivers/caddy/types.js';
import type { Plan } from '../plan/types.js';
import { takeBuiltStages } from './build.js';
import { pruneBuildStages } from './buildStages.js';
import { loadRoutes, prepareCaddyConfig } from './caddy.js';
import { inPhase, PHASES, runLimited } from './phases.js';
import { planTouchesSecrets, pruneSecrets } from './secrets.js';
import { ApplyError, explain, startedRun } from './steps.js';
import type { ActionResult, ApplyDeps, ApplyResult } from './types.js';

export { prepareCaddyConfig } from './caddy.js';
export { SNAPSHOTS_KEPT } from './replace.js';
export { ApplyError } from './steps.js';
export type { ActionResult, ApplyDeps, ApplyResult, ExportCommit } from './types.js';

/**
 * After a successful deploy: each App built by this plan loses its build-stage images its build did not use
 * (a multi-stage build leaves one per push that changed the stage); the cache the next push reuses stays.
 */
async function pruneOldBuildStages(plan: Plan, deps: ApplyDeps): Promise<void> {
  for (const a of plan.actions) {
    const built = a.kind === 'image.build' ? takeBuiltStages(a) : undefined;
    if (!built) continue;
    const removed = await pruneBuildStages(deps.podman, built.labels, built.used);
    if (removed.length > 0) {
      const n = removed.length;
      deps.onEvent?.({
        type: 'action.progress',
        action: a,
        message: `removed ${n} old build-stage image${n === 1 ? '' : 's'} (the layer cache stays)`,
      });
    }
  }
}

/**
 * Applies a plan in phases: volumes, builds, containers, routes (one Caddy load), removals. The Caddy config
 * is rendered and checked first: one Caddy would refuse fails the apply before anything changed. A failed
 * action stops the apply after its phase, so nothing is removed and no route switches after a failure.
 */
export async function applyPlan(plan: Plan, deps: ApplyDeps): Promise<ApplyResult> {
  const results = new Map<string, ActionResult>(
    plan.actions.map((a) => [a.address, { address: a.address, status: 'skipped' as const }]),
  );
  let caddyWrites = 0;
  let failed = false;
  // Prepare, then mutate: the one Caddy config this apply loads is rendered and checked before any step.
  const routeChanges = plan.actions.filter((a) => a.kind === 'route.change');
  let caddyConfig: CaddyConfig | undefined;
  if (routeChanges.length > 0) {
    try {
      caddyConfig = prepareCaddyConfig(plan, deps.caddyConfig);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      for (const a of routeChanges) {
        results.set(a.address, { address: a.address, status: 'failed', error, ms: 0 });
        deps.onEvent?.({ type: 'action.failed', action: a, ms: 0, error });
      }
      return { ok: false, results: [...results.values()], caddyWrites };
    }
  }
  for (const phase of PHASES) {
    const actions = plan.actions.filter((a) => inPhase(phase, a));
    if (actions.length === 0) continue;
    deps.onEvent?.({ type: 'phase', name: phase.name, actions: actions.length });
    if (phase.name === 'routes') {
      const routes = await loadRoutes(plan, actions, caddyConfig!, deps, results);
      if (routes.loaded) caddyWrites++;
      if (!routes.ok) failed = true;
    } else {
      await runLimited(actions, phase.parallel ? (deps.concurrency ?? 4) : 1, async (a) => {
        const start = Date.now();
        deps.onEvent?.({ type: 'action.started', action: a });
        try {
          const note = await phase.step(a, deps);
          const ms = Date.now() - start;
          const run = startedRun(a);
          results.set(a.address, { address: a.address, status: 'done', ms, ...(run && { run }) });
          deps.onEvent?.({ type: 'action.finished', action: a, ms, note });
        } catch (err) {
          failed = true;
          const ms = Date.now() - start;
          const error = explain(err);
          const rolledBack = err instanceof ApplyError && err.data.rolledBack === true;
          results.set(a.address, {
            address: a.address,
            status: 'failed',
            error,
            ms,
            ...(rolledBack && { rolledBack }),
          });
          deps.onEvent?.({ type: 'action.failed', action: a, ms, error });
        }
      });
    }
    if (failed) break;
  }
  // Old secrets go only after a fully successful apply: a rolled-back container may still need them.
  // A failed cleanup is retried by the next apply that touches secrets; it never fails this one.
  if (!failed && planTouchesSecrets(plan)) await pruneSecrets(plan.instance, deps).catch(() => undefined);
  if (!failed) await pruneOldBuildStages(plan, deps);
  // Every step was finished or undone by this (live) process: nothing is left for recovery.
  await deps.journal?.clear();
  return { ok: !failed, results: [...results.values()], caddyWrites };
}
