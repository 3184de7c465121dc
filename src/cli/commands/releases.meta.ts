// `hiy releases` as --help and flag parsing know it; every hiy process imports this.
// ./releases.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'releases',
  summary: 'the applied versions (releases) of one resource, newest first',
  usage: 'releases NAME [--json]            NAME: greeter, or port/greeter',
  maxArgs: 1,
  load: async () => (await import('./releases.js')).run,
};
