// `hiy login` as --help and flag parsing know it; every hiy process imports this.
// ./login.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'login',
  summary: 'print a one-time sign-in URL of the dashboard for a User (valid 10 minutes, one use)',
  usage: `login USER                        the last line printed is the URL alone; remotely: ssh hiy@BOX login`,
  maxArgs: 1,
  load: async () => (await import('./login.js')).run,
};
