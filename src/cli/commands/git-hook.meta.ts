// `hiy git-hook` as --help and flag parsing know it; every hiy process imports this.
// ./git-hook.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'git-hook',
  summary: 'internal: run by the git hooks of pushes through hiy git-shell (build, deploy, validate)',
  usage: `git-hook pre-receive|post-receive  (internal; reads the ref updates on stdin)`,
  maxArgs: 1,
  load: async () => (await import('./git-hook.js')).run,
};
