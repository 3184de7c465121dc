// `hiy plan`: what would change, Terraform-style; --json prints the plan value, --out saves it.
// What --help and flag parsing need; the implementation (./plan.ts) is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'plan',
  summary: 'show what apply would change (+ create, ~ update, -/+ replace, - destroy)',
  usage: `plan [--json] [--out FILE] [--detailed-exitcode]
                                    exit codes with --detailed-exitcode: 0 no changes, 1 error, 2 changes`,
  options: { out: { type: 'string' }, 'detailed-exitcode': { type: 'boolean' } },
  load: async () => (await import('./plan.js')).run,
};
