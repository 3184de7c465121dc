// `hiy plan` as --help and flag parsing know it; every hiy process imports this.
// ./plan.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'plan',
  summary: 'show what apply would change (+ create, ~ update, -/+ replace, - destroy)',
  usage: `plan [--json] [--out FILE] [--detailed-exitcode] [--worktree]
                                    exit codes with --detailed-exitcode: 0 no changes, 1 error, 2 changes
                                    --worktree: plan the working copy of HIY_STATE_REPO, uncommitted edits
                                    included (see it before you commit; not with --out)`,
  options: {
    out: { type: 'string' },
    'detailed-exitcode': { type: 'boolean' },
    worktree: { type: 'boolean' },
  },
  settingsCheck: 'warn',
  load: async () => (await import('./plan.js')).run,
};
