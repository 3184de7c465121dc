// `hiy validate` as --help and flag parsing know it; every hiy process imports this.
// ./validate.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'validate',
  summary: 'check the state repo (all errors at once, file:line:col and field path); touches nothing',
  usage: 'validate [--worktree] [--json]    --worktree checks the files on disk instead of the branch head',
  options: { worktree: { type: 'boolean' } },
  load: async () => (await import('./validate.js')).run,
};
