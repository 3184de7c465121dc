// `hiy token create USER | list | revoke ID`: API tokens for the users of the state repo, stored hashed.
// What --help and flag parsing need; the implementation (./token.ts) is imported only when the command runs.
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
