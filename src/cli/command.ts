// The shape of one CLI command. Each command is described in src/cli/commands/NAME.meta.ts, implemented in
// src/cli/commands/NAME.ts and listed in src/cli/commands/index.ts; run.ts parses flags, builds settings, loads
// the implementation and runs it.
import type { Settings } from '../model/settings.js';
import type { CliDeps } from './context.js';
import type { SettingsCheck } from './daemonSettings.js';

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

/** What a command does: its exit code, once it is done. */
export type CommandRun = (deps: CliDeps, settings: Settings, ctx: CommandContext) => Promise<number>;

/**
 * A command as the CLI knows it before running it: everything --help and flag parsing need, and how to load
 * the implementation. Every `hiy` process imports all of these, so a description imports nothing heavy.
 */
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
  /**
   * What the command does when its plan settings differ from the running daemon's: `refuse` (it applies, and
   * would undo what the daemon does) unless --force-settings, `warn` (it only plans); a function decides per call.
   */
  settingsCheck?: SettingsCheck | ((ctx: CommandContext) => SettingsCheck | undefined);
  /**
   * Imports the implementation (`async () => (await import('./NAME.js')).run`): a dynamic import, so that a
   * process that does not run this command never loads what it needs (`hiy --help` loads no driver).
   */
  load(): Promise<CommandRun>;
}

/** Helpers for reading flags typed by their OptionSpec. */
export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}
