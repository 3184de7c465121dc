// `hiy fetch NAME`: brings the mirror of an App's URL source up to date now (webhooks do it on every push).
// What --help and flag parsing need; the implementation (./fetch.ts) is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'fetch',
  summary: "fetch an App's git URL source into HIY's mirror now (push webhooks do it by themselves)",
  usage: 'fetch NAME [--json]',
  maxArgs: 1,
  load: async () => (await import('./fetch.js')).run,
};
