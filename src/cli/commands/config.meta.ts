// `hiy config` as --help and flag parsing know it; every hiy process imports this.
// ./config.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'config',
  summary: "show or change a resource's env: each change is one commit to the state repo (comments kept)",
  usage: `config NAME [--json] | config set NAME KEY=VALUE… [--dry-run] | config unset NAME KEY… [--dry-run]
                                    set/unset validate the whole state, show the plan of the change and commit
                                    it, authored by git's configured identity (user.name/user.email); the
                                    daemon or hiy apply applies it. Secret variables: hiy secret set.`,
  options: { 'dry-run': { type: 'boolean' } },
  maxArgs: 1000,
  // set and unset commit a change the daemon applies, after planning it with these settings.
  settingsCheck: (ctx) =>
    ctx.args[0] !== 'set' && ctx.args[0] !== 'unset' ? undefined : ctx.values['dry-run'] ? 'warn' : 'refuse',
  load: async () => (await import('./config.js')).run,
};
