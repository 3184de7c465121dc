// `hiy settings` as --help and flag parsing know it; every hiy process imports this.
// ./settings.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'settings',
  summary:
    'print the effective settings and where each came from (flag, environment, settings file, default)',
  usage: `settings [--json]                 also compares them with the daemon running on the data directory;
                                    the file is DATA_DIR/settings.env (HIY_NAME=value lines)`,
  needsState: false,
  load: async () => (await import('./settings.js')).run,
};
