// What every command gets: output streams, the environment and a way to build the engine.

import type { Engine } from '../engine/engine.js';
import type { Settings } from '../model/settings.js';
import type { SettingsEnvironment } from './config.js';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Reads all of stdin (e.g. a secret value piped in); absent where there is no stdin. */
  readStdin?: () => Promise<string>;
}

export interface CliDeps {
  io: CliIO;
  /**
   * Builds the engine (real drivers in src/main.ts, fakes in unit tests). Asynchronous because the real
   * drivers are imported on first use: a command that needs no engine never loads them.
   */
  makeEngine(settings: Settings, env?: NodeJS.ProcessEnv): Promise<Engine>;
  /** The settings' sources (flags, environment, settings file), as runCli read them. */
  settingsEnvironment?: SettingsEnvironment;
}

/** Exit codes, Terraform-style. */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;
