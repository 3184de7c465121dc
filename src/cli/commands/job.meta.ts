// `hiy job` as --help and flag parsing know it; every hiy process imports this.
// ./job.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'job',
  summary: "run one of a resource's scheduled jobs now (spec.jobs), as the daemon does on its schedule",
  usage: `job run NAME JOB [--json]
                                    in a one-off container; refused while a run of the same job is going.
                                    The run is kept with the scheduled ones (hiy logs NAME --job JOB).`,
  maxArgs: 3,
  load: async () => (await import('./job.js')).run,
};
