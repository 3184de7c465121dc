// `hiy rollback NAME [--to N] [--with-data]` and `hiy unpin NAME`.

import { rollback, unpin } from '../../data/rollback.js';
import { JSON_VIEW } from '../../engine/engine.js';
import type { Settings } from '../../model/settings.js';
import { renderPlan } from '../../plan/render.js';
import { type CommandRun, flag, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { cliView } from './apply.js';

function releaseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(text))
    throw new UsageError(`--to takes a release number (see hiy releases NAME), not ${text}`);
  return Number(text);
}

export async function rollbackCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean; name?: string; to?: string; withData: boolean },
): Promise<number> {
  if (!opts.name) throw new UsageError('hiy rollback NAME: which resource? (e.g. greeter or port/greeter)');
  const engine = await deps.makeEngine(settings);
  const out = await rollback(
    engine,
    { name: opts.name, to: releaseNumber(opts.to), withData: opts.withData },
    opts.json ? JSON_VIEW : { ...cliView(deps.io), planned: ({ plan }) => deps.io.out(renderPlan(plan)) },
  );
  if (opts.json) {
    deps.io.out(`${JSON.stringify(out, null, 2)}\n`);
    return out.result.ok ? EXIT.ok : EXIT.error;
  }
  if (out.result.ok) {
    deps.io.out(
      `\nRolled ${out.resource} back from release ${out.from} to release ${out.to}${opts.withData ? ', with its data' : ''}.\n` +
        `${out.resource} is pinned: applies keep this release until the state repo changes ${out.resource} or you run "hiy unpin ${opts.name}".\n`,
    );
    return EXIT.ok;
  }
  for (const r of out.result.results.filter((x) => x.status === 'failed'))
    deps.io.err(`error: ${r.address}: ${r.error}\n`);
  deps.io.err(`\nRollback of ${out.resource} FAILED; it is not pinned.\n`);
  return EXIT.error;
}

export const run: CommandRun = (deps, settings, ctx) =>
  rollbackCommand(deps, settings, {
    json: ctx.json,
    name: ctx.args[0],
    to: str(ctx, 'to'),
    withData: flag(ctx, 'with-data'),
  });

export const runUnpin: CommandRun = async (deps, settings, ctx) => {
  const name = ctx.args[0];
  if (!name) throw new UsageError('hiy unpin NAME: which resource?');
  const removed = await unpin(await deps.makeEngine(settings), name);
  if (ctx.json) deps.io.out(`${JSON.stringify({ unpinned: removed ?? null }, null, 2)}\n`);
  else if (removed)
    deps.io.out(
      `Unpinned ${removed.resource} (was at release ${removed.release}); the next apply deploys the state repo's version (hiy plan shows it).\n`,
    );
  else deps.io.out(`${name} is not pinned.\n`);
  return EXIT.ok;
};
