// `hiy releases NAME`: the applied versions of a resource, newest first.
// What --help and flag parsing need; the implementation (./releases.ts) is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'releases',
  summary: 'the applied versions (releases) of one resource, newest first',
  usage: 'releases NAME [--json]            NAME: greeter, or port/greeter',
  maxArgs: 1,
  load: async () => (await import('./releases.js')).run,
};
