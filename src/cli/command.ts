// The shape of one CLI command. Each command lives in src/cli/commands/NAME.ts and is listed in
// src/cli/commands/index.ts; run.ts parses flags, builds settings and dispatches.
import type { Settings } from '../model/settings.js';
import type { CliDeps } from './context.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

export interface CommandContext {
  /** Parsed flags (global and the command's own). */
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  /** Positional arguments after the command name. */
  args: string[];
  json: boolean;
}

export interface Command {
  name: string;
  /** One line for the command list of --help. */
  summary: string;
  /** Flag lines for --help, e.g. `plan [--json] [--out FILE]` (continuation lines start with spaces). */
  usage: string;
  /** Flags of this command beyond the global ones. */
  options?: Record<string, OptionSpec>;
  /** Largest number of positional arguments (default 0). */
  maxArgs?: number;
  /** Whether the command needs a state repo (default true). */
  needsState?: boolean;
  run(deps: CliDeps, settings: Settings, ctx: CommandContext): Promise<number>;
}

/** Helpers for reading flags typed by their OptionSpec. */
export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}
