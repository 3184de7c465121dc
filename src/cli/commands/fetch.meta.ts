// `hiy fetch` as --help and flag parsing know it; every hiy process imports this.
// ./fetch.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'fetch',
  summary: "fetch an App's git URL source into HIY's mirror now (push webhooks do it by themselves)",
  usage: 'fetch NAME [--json]',
  maxArgs: 1,
  load: async () => (await import('./fetch.js')).run,
};
