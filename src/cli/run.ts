// Argument parsing and dispatch: `hiy <command> [flags]`; returns the exit code.
import { parseArgs } from 'node:util';
import { applyCommand } from './commands/apply.js';
import { planCommand } from './commands/plan.js';
import { releasesCommand } from './commands/releases.js';
import { statusCommand } from './commands/status.js';
import { validateCommand } from './commands/validate.js';
import { SETTINGS_HELP, settingsFrom, UsageError } from './config.js';
import type { CliDeps } from './context.js';
import { EXIT } from './context.js';
import { reportError } from './errors.js';

export const VERSION = '0.1.0';

const COMMANDS: Record<string, string> = {
  validate: 'check the state repo (all errors at once, file:line:col and field path); touches nothing',
  plan: 'show what apply would change (+ create, ~ update, -/+ replace, - destroy)',
  apply: 'converge this box to the state repo, or apply a plan saved with plan --out',
  status: 'each resource: container state, image, routes, commit last applied',
  releases: 'the applied versions (releases) of one resource, newest first',
  version: 'print the version',
};

const USAGE = `hiy — Host It Yourself: a GitOps reconciler for one box (Podman + Caddy)

Usage: hiy <command> [flags]

Commands:
${Object.entries(COMMANDS)
  .map(([k, v]) => `  ${k.padEnd(10)} ${v}`)
  .join('\n')}

Command flags:
  validate [--worktree] [--json]    --worktree checks the files on disk instead of the branch head
  plan [--json] [--out FILE] [--detailed-exitcode]
                                    exit codes with --detailed-exitcode: 0 no changes, 1 error, 2 changes
  apply [FILE] [--json] [--allow-mass-delete]
                                    FILE: a saved plan; refused when the commit or the box moved since.
                                    A plan removing more than half of the managed resources is refused
                                    unless --allow-mass-delete is given (volumes are kept either way).
  status [--json]
  releases NAME [--json]            NAME: greeter, or port/greeter

${SETTINGS_HELP}

Only committed changes are applied: HIY reads the head of the branch, never uncommitted edits.
Volumes are never deleted by plan or apply: removed resources' volumes are kept and listed as retained.
`;

const OPTIONS = {
  state: { type: 'string' },
  branch: { type: 'string' },
  'data-dir': { type: 'string' },
  'caddy-admin': { type: 'string' },
  json: { type: 'boolean', default: false },
  out: { type: 'string' },
  'detailed-exitcode': { type: 'boolean', default: false },
  worktree: { type: 'boolean', default: false },
  'allow-mass-delete': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const;

export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  let json = argv.includes('--json');
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    json = values.json;
    const [command, ...rest] = positionals;
    if (values.version || command === 'version') {
      deps.io.out(`hiy ${VERSION}\n`);
      return EXIT.ok;
    }
    if (values.help || !command || command === 'help') {
      deps.io.out(USAGE);
      return command || values.help ? EXIT.ok : EXIT.error;
    }
    if (!(command in COMMANDS)) throw new UsageError(`unknown command "${command}"; run hiy --help`);
    const maxArgs = command === 'apply' || command === 'releases' ? 1 : 0;
    if (rest.length > maxArgs) throw new UsageError(`hiy ${command}: unexpected argument "${rest[maxArgs]}"`);
    const settings = settingsFrom(values, deps.io.env, true);
    switch (command) {
      case 'validate':
        return await validateCommand(deps, settings, { json, worktree: values.worktree });
      case 'plan':
        return await planCommand(deps, settings, {
          json,
          out: values.out,
          detailedExitcode: values['detailed-exitcode'],
        });
      case 'apply':
        return await applyCommand(deps, settings, {
          json,
          file: rest[0],
          allowMassDelete: values['allow-mass-delete'],
        });
      case 'status':
        return await statusCommand(deps, settings, { json });
      case 'releases':
        return await releasesCommand(deps, settings, { json, name: rest[0] });
    }
    return EXIT.error;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      deps.io.err(`hiy: ${(err as Error).message}\nRun hiy --help for usage.\n`);
      return EXIT.error;
    }
    reportError(deps.io, err, json);
    return EXIT.error;
  }
}

/** Exits once stdout has drained (large --json output into a pipe). The only process.exit of HIY. */
export function exitWith(code: number): void {
  process.stdout.write('', () => process.exit(code));
}
