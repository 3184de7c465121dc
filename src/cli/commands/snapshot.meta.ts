// `hiy snapshot` as --help and flag parsing know it; every hiy process imports this.
// ./snapshot.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'snapshot',
  summary: 'list, take or restore verified snapshots of volumes',
  usage: `snapshot list [NAME] [--json]       NAME: a resource (greeter, port/greeter) or a volume
  snapshot create NAME [--json]       stops the resource's containers briefly so the copy is consistent
  snapshot restore SNAPSHOT [--to-volume V] [--json]
                                    SNAPSHOT: an exact id or VOLUME/ID (never a prefix); the volume's
                                    current content is snapshotted first; --to-volume V restores into
                                    another volume (created when missing) instead`,
  options: { 'to-volume': { type: 'string' } },
  maxArgs: 3,
  load: async () => (await import('./snapshot.js')).run,
};
