// `hiy events` as --help and flag parsing know it; every hiy process imports this.
// ./events.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'events',
  summary: 'the event history: applies, failures, drift corrected, snapshots (--follow: live)',
  usage: `events [--json] [--follow] [--since SEQ] [--limit N]
                                    --since: only events after sequence number SEQ; --limit: the newest N.
                                    --follow keeps printing new events until Ctrl-C (JSON Lines with --json).`,
  options: {
    follow: { type: 'boolean', short: 'f' },
    since: { type: 'string' },
    limit: { type: 'string' },
  },
  needsState: false,
  load: async () => (await import('./events.js')).run,
};
