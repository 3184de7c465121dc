// `hiy status` as --help and flag parsing know it; every hiy process imports this.
// ./status.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'status',
  summary: 'each resource: container state, image, routes, commit last applied, Ready/Stalled conditions',
  usage: 'status [--json]',
  load: async () => (await import('./status.js')).run,
};
