// `hiy apply [FILE]`: converges the box, printing progress; with FILE, applies exactly a saved plan.

import { readFile } from 'node:fs/promises';
import {
  computePlan,
  humanView,
  JSON_VIEW,
  type OperationView,
  runOperation,
  TERMINAL_STYLE,
  verifySavedPlan,
} from '../../engine/engine.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import { errorMessage } from '../../model/errors.js';
import type { Settings } from '../../model/settings.js';
import { renderPlan } from '../../plan/render.js';
import type { Plan } from '../../plan/types.js';
import { PLAN_FORMAT_VERSION } from '../../plan/types.js';
import { type CommandRun, flag } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps, CliIO } from '../context.js';
import { EXIT } from '../context.js';

/** The human view of apply, rollback and the snapshot commands: recovery, then progress, on stdout. */
export function cliView(io: CliIO): OperationView {
  return humanView(io.out, TERMINAL_STYLE);
}

/** What `hiy apply` prints: the warnings and the plan before it is judged; with --json, nothing until the end. */
function applyView(io: CliIO, json: boolean): OperationView {
  if (json) return JSON_VIEW;
  return {
    ...cliView(io),
    planned: ({ plan }) => {
      for (const w of plan.warnings ?? []) io.err(`${formatDiagnostic(w)}\n`);
      io.out(renderPlan(plan));
    },
  };
}

async function readSavedPlan(file: string): Promise<Plan> {
  let value: Plan;
  try {
    value = JSON.parse(await readFile(file, 'utf8')) as Plan;
  } catch (err) {
    throw new UsageError(`cannot read the saved plan ${file}: ${errorMessage(err)}`);
  }
  if (value?.formatVersion !== PLAN_FORMAT_VERSION || !Array.isArray(value.actions)) {
    throw new UsageError(`${file} is not a plan saved by "hiy plan --out"`);
  }
  return value;
}

export async function applyCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean; file?: string; allowMassDelete: boolean; allowOverCapacity?: boolean },
): Promise<number> {
  const engine = await deps.makeEngine(settings);
  const saved = opts.file ? await readSavedPlan(opts.file) : undefined;
  const { planned, result } = await runOperation(engine, {
    plan: () => (saved ? verifySavedPlan(engine, saved) : computePlan(engine, { forApply: true })),
    guard: opts,
    view: applyView(deps.io, opts.json),
  });
  const { plan } = planned;
  if (opts.json) {
    deps.io.out(
      `${JSON.stringify({ commit: plan.commit, ok: result.ok, plan, results: result.results }, null, 2)}\n`,
    );
  } else if (plan.actions.length > 0) {
    const done = result.results.filter((r) => r.status === 'done').length;
    const failed = result.results.filter((r) => r.status === 'failed');
    deps.io.out(
      `\nApply ${result.ok ? 'complete' : 'FAILED'}: ${done} done, ${failed.length} failed, ${result.results.length - done - failed.length} skipped.\n`,
    );
    for (const r of failed) deps.io.err(`error: ${r.address}: ${r.error}\n`);
    if (plan.retained.length > 0)
      deps.io.out(`${plan.retained.length} volume(s) retained with their data.\n`);
  }
  return result.ok ? EXIT.ok : EXIT.error;
}

export const run: CommandRun = (deps, settings, ctx) =>
  applyCommand(deps, settings, {
    json: ctx.json,
    file: ctx.args[0],
    allowMassDelete: flag(ctx, 'allow-mass-delete'),
    allowOverCapacity: flag(ctx, 'allow-over-capacity'),
  });
