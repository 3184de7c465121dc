// `hiy restore-box` as --help and flag parsing know it; every hiy process imports this.
// ./restore-box.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'restore-box',
  summary: 'bring back a whole box from the state repo and a backup repository (disaster recovery)',
  usage: `restore-box --backup NAME --password-file FILE [--repository R] [--no-apply] [--json]
                                    on an empty box (no HIY container, volume or state for this
                                    HIY_INSTANCE, which must be the old box's): restores HIY's own
                                    state (secrets, releases, repositories…) and every volume's latest
                                    backup, each verified, then applies. FILE holds the repository's
                                    password ("-": stdin); --repository when it moved (a disk mounted
                                    elsewhere); restic's other variables (S3 keys) from the environment.
                                    docs/backups.md has the runbook`,
  options: {
    backup: { type: 'string' },
    'password-file': { type: 'string' },
    repository: { type: 'string' },
    'no-apply': { type: 'boolean' },
  },
  maxArgs: 0,
  load: async () => (await import('./restore-box.js')).run,
};
