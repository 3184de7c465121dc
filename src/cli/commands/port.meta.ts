// `hiy port` as --help and flag parsing know it; every hiy process imports this.
// ./port.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'port',
  summary: 'build ports: start one, turn port.yaml into its label, check an image against the contract',
  usage: `port new NAME [--from IMAGE]  writes NAME/Containerfile, NAME/port.yaml and NAME/hooks/check
  port label FILE                  prints port.yaml as the io.hiy.port.v1 label's JSON (checked first)
  port check IMAGE [--json]        validates IMAGE's declaration and runs its check hook with the example
                                    values (docs/ports.md)`,
  options: { from: { type: 'string' } },
  maxArgs: 2,
  needsState: false,
  load: async () => (await import('./port.js')).run,
};
