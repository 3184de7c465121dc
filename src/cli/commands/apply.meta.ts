// `hiy apply` as --help and flag parsing know it; every hiy process imports this.
// ./apply.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'apply',
  summary: 'converge this box to the state repo, or apply a plan saved with plan --out',
  usage: `apply [FILE] [--json] [--allow-mass-delete] [--allow-over-capacity]
                                    FILE: a saved plan; refused when the commit or the box moved since.
                                    A plan removing more than half of the managed resources is refused
                                    unless --allow-mass-delete is given (volumes are kept either way).
                                    A plan whose new containers do not fit the box's free memory or PID
                                    limit is refused unless --allow-over-capacity is given.`,
  options: { 'allow-mass-delete': { type: 'boolean' }, 'allow-over-capacity': { type: 'boolean' } },
  maxArgs: 1,
  settingsCheck: 'refuse',
  load: async () => (await import('./apply.js')).run,
};
