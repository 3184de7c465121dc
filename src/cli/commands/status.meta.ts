// `hiy status`: each resource with its container state, image, routes and the commit last applied.
// What --help and flag parsing need; the implementation (./status.ts) is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'status',
  summary: 'each resource: container state, image, routes, commit last applied, Ready/Stalled conditions',
  usage: 'status [--json]',
  load: async () => (await import('./status.js')).run,
};
