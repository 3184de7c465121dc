// `hiy session` as --help and flag parsing know it; every hiy process imports this.
// ./session.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'session',
  summary: 'dashboard sessions: list them or revoke one (a revoked session is signed out at once)',
  usage: `session list [--json] | session revoke ID`,
  maxArgs: 2,
  needsState: false,
  load: async () => (await import('./session.js')).run,
};
