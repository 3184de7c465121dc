// `hiy token` as --help and flag parsing know it; every hiy process imports this.
// ./token.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'token',
  summary: 'API tokens: create one for a User of the state repo (shown once), list or revoke them',
  usage: `token create USER | token list [--json] | token revoke ID
                                    the token is printed once on stdout; only its SHA-256 is kept`,
  maxArgs: 2,
  needsState: false,
  load: async () => (await import('./token.js')).run,
};
