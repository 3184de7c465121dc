// `hiy validate`: checks the state repo without touching Podman or Caddy.

import { loadDesiredFromFiles, loadWorktreeFiles } from '../../desired/load.js';
import { loadDesired } from '../../engine/engine.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import type { Settings } from '../../model/settings.js';
import { type CommandRun, flag } from '../command.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';

export async function validateCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean; worktree: boolean },
): Promise<number> {
  const engine = await deps.makeEngine(settings);
  const result = opts.worktree
    ? await loadDesiredFromFiles(await loadWorktreeFiles(settings.stateRepo), { settings, git: engine.git })
    : await loadDesired(engine);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const valid = errors.length === 0;
  if (opts.json) {
    deps.io.out(
      `${JSON.stringify(
        {
          valid,
          commit: result.state?.commit,
          resources: result.state?.resources.map(
            (r) => `${r.resource.kind.toLowerCase()}/${r.resource.metadata.name}`,
          ),
          diagnostics: result.diagnostics,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    for (const d of result.diagnostics) deps.io.err(`${formatDiagnostic(d)}\n`);
    if (valid) {
      const where =
        result.state?.commit === 'worktree' ? 'working tree' : `commit ${result.state?.commit.slice(0, 12)}`;
      deps.io.out(
        `The state repo is valid: ${result.state?.resources.length ?? 0} resource(s) at ${where}.\n`,
      );
    } else deps.io.err(`\n${errors.length} error(s) in the state repo.\n`);
  }
  return valid ? EXIT.ok : EXIT.error;
}

export const run: CommandRun = (deps, settings, ctx) =>
  validateCommand(deps, settings, { json: ctx.json, worktree: flag(ctx, 'worktree') });
