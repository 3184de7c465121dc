// `hiy plan`: what would change, Terraform-style; --json prints the plan value, --out saves it.

import { loadWorktreeFiles } from '../../desired/load.js';
import { computePlan } from '../../engine/engine.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import type { Settings } from '../../model/settings.js';
import { renderPlan } from '../../plan/render.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { type CommandRun, flag, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';

export async function planCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean; out?: string; detailedExitcode: boolean; worktree?: boolean },
): Promise<number> {
  if (opts.worktree && opts.out)
    throw new UsageError(
      'hiy plan --worktree --out: a plan of uncommitted edits cannot be applied; commit them, then plan --out',
    );
  const engine = await deps.makeEngine(settings);
  // --worktree: the working copy's state files, uncommitted edits included, planned as a commit would be.
  const planned = await computePlan(
    engine,
    opts.worktree ? { source: { files: await loadWorktreeFiles(settings.stateRepo) } } : {},
  );
  // The warnings are part of the plan value: an empty array says there were none.
  const plan = { ...planned.plan, warnings: planned.plan.warnings ?? [] };
  if (!opts.json) for (const w of plan.warnings) deps.io.err(`${formatDiagnostic(w)}\n`);
  if (opts.out) await writeFileAtomic(opts.out, `${JSON.stringify(plan, null, 2)}\n`);
  if (opts.json) deps.io.out(`${JSON.stringify(plan, null, 2)}\n`);
  else {
    deps.io.out(renderPlan(plan));
    if (opts.out)
      deps.io.out(`\nSaved the plan to ${opts.out}; run "hiy apply ${opts.out}" to apply exactly it.\n`);
  }
  if (opts.detailedExitcode && plan.actions.length > 0) return EXIT.changes;
  return EXIT.ok;
}

export const run: CommandRun = (deps, settings, ctx) =>
  planCommand(deps, settings, {
    json: ctx.json,
    out: str(ctx, 'out'),
    detailedExitcode: flag(ctx, 'detailed-exitcode'),
    worktree: flag(ctx, 'worktree'),
  });
