// `hiy validate`: checks the state repo, and each Port against its image's declaration when the image is on the box.

import { loadWorktreeFiles } from '../../desired/load.js';
import { loadDesired } from '../../engine/engine.js';
import { type Diagnostic, formatDiagnostic } from '../../model/diagnostics.js';
import { errorMessage } from '../../model/errors.js';
import type { Settings } from '../../model/settings.js';
import { resolvePorts } from '../../ports/resolve.js';
import { type CommandRun, flag } from '../command.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';

export async function validateCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean; worktree: boolean },
): Promise<number> {
  const engine = await deps.makeEngine(settings);
  // The working copy is loaded as a commit is (App sources resolved against the hosted repositories and mirrors).
  const result = await loadDesired(
    engine,
    opts.worktree ? { files: await loadWorktreeFiles(settings.stateRepo) } : undefined,
  );
  if (result.state) {
    // Read-only: no generated secret is created and no container is looked at.
    const found: Diagnostic[] = await resolvePorts({
      podman: engine.podman,
      cache: engine.stores.portDeclarations,
      instance: settings.instance,
      state: result.state,
      containers: [],
    }).then(
      (r) => r.diagnostics,
      (err: unknown) => [
        {
          severity: 'warning',
          summary: `port declarations could not be checked: ${errorMessage(err).split('\n')[0]}`,
        },
      ],
    );
    result.diagnostics.push(...found);
    if (found.some((d) => d.severity === 'error')) delete result.state;
  }
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
          // The warnings alone, as `hiy plan --json` prints them.
          warnings: result.diagnostics.filter((d) => d.severity === 'warning'),
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
