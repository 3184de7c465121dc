// `hiy restart NAME`: the health-gated replace of a resource's container by one of the same spec.
import { restartResource } from '../../engine/restart.js';
import { renderPlan } from '../../plan/render.js';
import type { CommandRun } from '../command.js';
import { UsageError } from '../config.js';
import { EXIT } from '../context.js';

export const run: CommandRun = async (deps, settings, ctx) => {
  const name = ctx.args[0];
  if (!name) throw new UsageError('hiy restart NAME: which resource?');
  const engine = await deps.makeEngine(settings);
  const outcome = await restartResource(engine, name, {
    actor: deps.io.env.USER,
    ...(ctx.json ? {} : { view: { planned: ({ plan }) => deps.io.out(renderPlan(plan)) } }),
  });
  const failed = outcome.result.results.filter((r) => r.status === 'failed');
  if (ctx.json) {
    deps.io.out(
      `${JSON.stringify({ resource: outcome.resource, ok: outcome.result.ok, plan: outcome.plan, results: outcome.result.results }, null, 2)}\n`,
    );
  } else if (outcome.result.ok) deps.io.out(`\nRestarted ${outcome.resource}.\n`);
  else deps.io.err(`\nrestart of ${outcome.resource} failed: ${failed.map((r) => r.error).join('; ')}\n`);
  return outcome.result.ok ? EXIT.ok : EXIT.error;
};
