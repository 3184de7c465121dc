// `hiy volume` as --help and flag parsing know it; every hiy process imports this.
// ./volume.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'volume',
  summary: 'list the volumes HIY keeps; delete a retained one (explicitly, after a final snapshot)',
  usage: `volume ls [--json]
  volume rm VOLUME --confirm VOLUME  only volumes the state repo no longer declares; takes and verifies a
                                    final snapshot before deleting`,
  options: { confirm: { type: 'string' } },
  maxArgs: 3,
  load: async () => (await import('./volume.js')).run,
};
