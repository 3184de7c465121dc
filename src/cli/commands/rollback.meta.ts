// `hiy rollback` and `hiy unpin` as --help and flag parsing know them; every hiy process imports this.
// ./rollback.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'rollback',
  summary: 'redeploy an earlier release of a resource (--with-data: and its data), then pin it',
  usage: `rollback NAME [--to N] [--with-data] [--json]
                                    default: the release before the current one. --with-data restores the
                                    snapshot taken before the upgrade it undoes, after snapshotting the
                                    current data (so the rollback can itself be undone)`,
  options: { to: { type: 'string' }, 'with-data': { type: 'boolean' } },
  maxArgs: 1,
  settingsCheck: 'refuse',
  load: async () => (await import('./rollback.js')).run,
};

export const unpinCommand: Command = {
  name: 'unpin',
  summary: 'let the state repo decide a rolled-back resource again (at the next apply)',
  usage: 'unpin NAME [--json]',
  maxArgs: 1,
  load: async () => (await import('./rollback.js')).runUnpin,
};
