// `hiy exec NAME -- CMD` and `hiy run NAME -- CMD`: a command attached to this terminal; its exit code is ours.
import type { AttachOptions } from '../../drivers/podman/types.js';
import { execInResource, runOneOff } from '../../engine/oneOff.js';
import type { Settings } from '../../model/settings.js';
import { type CommandContext, type CommandRun, flag, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';

export interface AttachedCommandOptions {
  verb: 'exec' | 'run';
  name?: string;
  command: string[];
  interactive: boolean;
  tty: boolean;
  /** exec only: the user to run the command as. */
  user?: string;
}

/** Output to this process's streams: inherited when interactive (a terminal needs the real one), else via io. */
function attachOf(deps: CliDeps, opts: AttachedCommandOptions): AttachOptions {
  if (opts.interactive || opts.tty)
    return { output: 'inherit', interactive: opts.interactive, tty: opts.tty };
  return { output: { stdout: (c) => deps.io.out(c), stderr: (c) => deps.io.err(c) } };
}

export async function attachedCommand(
  deps: CliDeps,
  settings: Settings,
  opts: AttachedCommandOptions,
): Promise<number> {
  if (!opts.name) throw new UsageError(`hiy ${opts.verb} NAME -- CMD: which resource?`);
  if (opts.verb === 'exec' && opts.command.length === 0)
    throw new UsageError('hiy exec NAME -- CMD: which command? (e.g. hiy exec blog -it -- sh)');
  if (opts.tty && !process.stdin.isTTY)
    throw new UsageError('-t needs a terminal on stdin (ssh -t over SSH)');
  const engine = await deps.makeEngine(settings);
  const attach = attachOf(deps, opts);
  return opts.verb === 'exec'
    ? execInResource(engine, opts.name, opts.command, attach, opts.user ? { user: opts.user } : {})
    : runOneOff(engine, { name: opts.name, command: opts.command, attach });
}

function optionsOf(verb: 'exec' | 'run', ctx: CommandContext): AttachedCommandOptions {
  const [name, ...command] = ctx.args;
  const user = verb === 'exec' ? str(ctx, 'user') : undefined;
  return {
    verb,
    name,
    command,
    interactive: flag(ctx, 'interactive'),
    tty: flag(ctx, 'tty'),
    ...(user !== undefined && { user }),
  };
}

export const runExec: CommandRun = (deps, settings, ctx) =>
  attachedCommand(deps, settings, optionsOf('exec', ctx));
export const runRun: CommandRun = (deps, settings, ctx) =>
  attachedCommand(deps, settings, optionsOf('run', ctx));
