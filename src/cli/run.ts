// Argument parsing and dispatch: `hiy <command> [flags]`; returns the exit code.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { errorMessage, hasCode } from '../model/errors.js';
import type { Command, CommandContext, OptionSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
import { SETTINGS_HELP, settingsEnvironment, settingsFrom, UsageError } from './config.js';
import type { CliDeps } from './context.js';
import { EXIT } from './context.js';
import { checkAgainstDaemon } from './daemonSettings.js';
import { reportError } from './errors.js';

export const VERSION = '0.1.0';

/** Flags every command accepts. */
const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  state: { type: 'string' },
  branch: { type: 'string' },
  'data-dir': { type: 'string' },
  'caddy-admin': { type: 'string' },
  'force-settings': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `hiy — Host It Yourself: a GitOps reconciler for one box (Podman + Caddy)

Usage: hiy <command> [flags]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`).join('\n')}

Command flags:
${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}

${SETTINGS_HELP}

Only committed changes are applied: HIY reads the head of the branch, never uncommitted edits.
Volumes are never deleted by plan or apply: removed resources' volumes are kept and listed as retained.
`;
}

function commandHelp(c: Command): string {
  return `hiy ${c.name}: ${c.summary}\n\nUsage: hiy ${c.usage}\n\n${SETTINGS_HELP}\n`;
}

/** Every option of every command (parseArgs needs them all before it knows the command). */
function allOptions(): ParseArgsConfig['options'] {
  const all: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const c of COMMANDS) {
    for (const [name, spec] of Object.entries(c.options ?? {})) {
      const seen = all[name];
      if (seen && (seen.type !== spec.type || seen.multiple !== spec.multiple))
        throw new Error(`flag --${name} of hiy ${c.name} clashes with another command's --${name}`);
      all[name] = spec;
    }
  }
  return all;
}

export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  let json = argv.includes('--json');
  try {
    const parsed = parseArgs({ args: argv, options: allOptions(), allowPositionals: true, strict: true });
    const values = parsed.values as CommandContext['values'];
    const positionals = parsed.positionals;
    json = values.json === true;
    const [name, ...args] = positionals;
    if (values.version || name === 'version') {
      deps.io.out(`hiy ${VERSION}\n`);
      return EXIT.ok;
    }
    if (!name || name === 'help') {
      const topic = name === 'help' ? BY_NAME.get(args[0] ?? '') : undefined;
      deps.io.out(topic ? commandHelp(topic) : usage());
      return name || values.help ? EXIT.ok : EXIT.error;
    }
    const command = BY_NAME.get(name);
    if (!command) throw new UsageError(`unknown command "${name}"; run hiy --help`);
    if (values.help) {
      deps.io.out(commandHelp(command));
      return EXIT.ok;
    }
    for (const flagName of Object.keys(values)) {
      if (!(flagName in GLOBAL_OPTIONS) && !(flagName in (command.options ?? {})))
        throw new UsageError(`hiy ${name} has no flag --${flagName}; run hiy ${name} --help`);
    }
    const maxArgs = command.maxArgs ?? 0;
    if (args.length > maxArgs) throw new UsageError(`hiy ${name}: unexpected argument "${args[maxArgs]}"`);
    // Flags over the environment over DATA_DIR/settings.env: every part of the command reads the merged values.
    const environment = settingsEnvironment(values as Record<string, string>, deps.io.env);
    const settings = settingsFrom(
      values as Record<string, string>,
      environment.env,
      command.needsState ?? true,
    );
    const ctx = { values, args, json };
    const check =
      typeof command.settingsCheck === 'function' ? command.settingsCheck(ctx) : command.settingsCheck;
    if (check && values['force-settings'] !== true)
      await checkAgainstDaemon(settings, check, (text) => deps.io.err(text));
    const run = await command.load();
    const cliDeps: CliDeps = {
      io: { ...deps.io, env: environment.env },
      makeEngine: (s, env) => deps.makeEngine(s, env ?? environment.env),
      settingsEnvironment: environment,
    };
    return await run(cliDeps, settings, ctx);
  } catch (err) {
    // Usage errors (HIY's own, code USAGE, and node's ERR_PARSE_ARGS_*) point at --help; the rest is one line.
    const code = (err as { code?: unknown } | null)?.code;
    if (hasCode(err, 'USAGE') || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      deps.io.err(`hiy: ${errorMessage(err)}\nRun hiy --help for usage.\n`);
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
