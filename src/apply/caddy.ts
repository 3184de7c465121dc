// HIY's routes in Caddy: one config rendered and checked before any step, and loaded once in the routes phase.
import {
  mergeOwned,
  ownedServerNames,
  renderProxy,
  tlsPolicyId,
  validateConfig,
  validateOwned,
} from '../drivers/caddy/render.js';
import type { CaddyConfig } from '../drivers/caddy/types.js';
import type { Action, Plan } from '../plan/types.js';
import { recordRouted } from './startFirst.js';
import { ApplyError, faultsOf } from './steps.js';
import type { ActionResult, ApplyDeps } from './types.js';

/**
 * HIY's Caddy config for the plan: rendered, checked for what Caddy would refuse, and merged into Caddy's config
 * as observed (the user's servers and policies kept). Pure; applyPlan calls it before its first step, so a
 * config Caddy would refuse leaves every container as it was ("prepare, then mutate").
 */
export function prepareCaddyConfig(plan: Plan, current: CaddyConfig | null): CaddyConfig {
  const owned = renderProxy(plan.proxy);
  const server = plan.proxy.server;
  const config = mergeOwned(current, owned, ownedServerNames(server), tlsPolicyId(server));
  const problems = [...validateOwned(owned), ...validateConfig(config)];
  if (problems.length > 0)
    throw new ApplyError(`HIY's Caddy config is not valid, nothing was changed: ${problems.join('; ')}`, {
      address: 'caddy',
    });
  return config;
}

/**
 * The routes phase: loads the prepared config once, then records the start-first switches it made. Every route
 * action gets the outcome of that one load. `loaded`: Caddy took the config (a write), even when recording failed.
 */
export async function loadRoutes(
  plan: Plan,
  routeChanges: Action[],
  config: CaddyConfig,
  deps: ApplyDeps,
  results: Map<string, ActionResult>,
): Promise<{ ok: boolean; loaded: boolean }> {
  const start = Date.now();
  let loaded = false;
  for (const a of routeChanges) deps.onEvent?.({ type: 'action.started', action: a });
  try {
    await faultsOf(deps).during('caddy:load', () => deps.caddy.load(config));
    loaded = true;
    await recordRouted(plan, results, deps);
    const ms = Date.now() - start;
    for (const a of routeChanges) {
      results.set(a.address, { address: a.address, status: 'done', ms });
      deps.onEvent?.({ type: 'action.finished', action: a, ms });
    }
    deps.onEvent?.({ type: 'caddy.loaded', routes: plan.proxy.routes.length, ms });
    return { ok: true, loaded };
  } catch (err) {
    const ms = Date.now() - start;
    const error = err instanceof Error ? err.message : String(err);
    for (const a of routeChanges) {
      results.set(a.address, { address: a.address, status: 'failed', error, ms });
      deps.onEvent?.({ type: 'action.failed', action: a, ms, error });
    }
    return { ok: false, loaded };
  }
}
