// `hiy restart` as --help and flag parsing know it; every hiy process imports this.
// ./restart.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'restart',
  summary: 'restart a resource: a new container of the same spec, health-gated (start-first without volumes)',
  usage: `restart NAME [--json]
                                    takes the apply lock; refused when the resource has changes not applied
                                    yet (hiy apply does those). Recorded as an event and a release.`,
  maxArgs: 1,
  settingsCheck: 'refuse',
  load: async () => (await import('./restart.js')).run,
};
