// `hiy apply [FILE]`: converges the box, printing progress; with FILE, applies exactly a saved plan.

import { readFile } from 'node:fs/promises';
import type { ApplyEvent } from '../../apply/events.js';
import type { Recovery } from '../../apply/recover.js';
import {
  applyAndRecord,
  assertSafeToApply,
  computePlan,
  verifySavedPlan,
  withApplyLock,
} from '../../engine/engine.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import type { Settings } from '../../model/settings.js';
import { renderPlan } from '../../plan/render.js';
import type { Plan } from '../../plan/types.js';
import { PLAN_FORMAT_VERSION } from '../../plan/types.js';
import { type CommandRun, flag } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps, CliIO } from '../context.js';
import { EXIT } from '../context.js';

/** Prints what crash recovery did before a run (nothing when the last run ended normally). */
export function printRecovery(io: CliIO): (r: Recovery) => void {
  return (r) => {
    if (r.steps.length === 0 && r.discardedSnapshots.length === 0) return;
    io.out('The last run was interrupted; recovering first:\n');
    for (const s of r.steps) io.out(`  ${s}\n`);
    if (r.discardedSnapshots.length)
      io.out(`  discarded ${r.discardedSnapshots.length} incomplete snapshot(s)\n`);
  };
}

/** Prints apply events as they happen (apply, rollback, snapshot commands). */
export function progress(io: CliIO): (e: ApplyEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'phase':
        io.out(`\n== ${e.name} (${e.actions})\n`);
        break;
      case 'action.started':
        io.out(`${e.action.address}: ${e.action.change === 'delete' ? 'destroying' : 'applying'}…\n`);
        break;
      case 'action.progress':
        io.out(`${e.action.address}: ${e.message}\n`);
        break;
      case 'action.output':
        io.out(`  │ ${e.line}\n`);
        break;
      case 'build.step':
        io.out(`${e.action.address}: ${e.text}\n`);
        break;
      case 'action.finished':
        io.out(`${e.action.address}: done in ${(e.ms / 1000).toFixed(1)}s${e.note ? ` (${e.note})` : ''}\n`);
        break;
      case 'action.failed':
        io.out(`${e.action.address}: FAILED after ${(e.ms / 1000).toFixed(1)}s: ${e.error}\n`);
        break;
      case 'caddy.loaded':
        io.out(`caddy: loaded ${e.routes} route(s) in one change\n`);
        break;
    }
  };
}

async function readSavedPlan(file: string): Promise<Plan> {
  let value: Plan;
  try {
    value = JSON.parse(await readFile(file, 'utf8')) as Plan;
  } catch (err) {
    throw new UsageError(`cannot read the saved plan ${file}: ${(err as Error).message}`);
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
  if (!opts.json) engine.onRecovery = printRecovery(deps.io);
  const saved = opts.file ? await readSavedPlan(opts.file) : undefined;
  return withApplyLock(engine, async () => {
    const planned = saved
      ? await verifySavedPlan(engine, saved)
      : await computePlan(engine, { forApply: true });
    const { plan } = planned;
    if (!opts.json) {
      for (const w of plan.warnings ?? []) deps.io.err(`${formatDiagnostic(w)}\n`);
      deps.io.out(renderPlan(plan));
    }
    assertSafeToApply(plan, opts);
    const result = await applyAndRecord(engine, planned, opts.json ? undefined : progress(deps.io));
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
  });
}

export const run: CommandRun = (deps, settings, ctx) =>
  applyCommand(deps, settings, {
    json: ctx.json,
    file: ctx.args[0],
    allowMassDelete: flag(ctx, 'allow-mass-delete'),
    allowOverCapacity: flag(ctx, 'allow-over-capacity'),
  });
