// `hiy ssh-account` as --help and flag parsing know it; every hiy process imports this.
// ./ssh-account.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'ssh-account',
  summary: 'set up the unprivileged ssh account users push to (ssh://hiy@host/app), its keys kept current',
  usage: `ssh-account [--user hiy] [--home DIR] [--wrapper PATH] [--sudoers PATH] [--dry-run] [--remove] [--json]
                                    Creates the system user (shell /bin/sh, no password) if missing, and writes:
                                    its authorized_keys (every User key forced to sudo -n WRAPPER USER; rewritten
                                    by every apply), WRAPPER (root's, 755: this HIY's settings and
                                    hiy git-shell "$1", nothing else) and a sudoers drop-in (checked by visudo)
                                    letting the account run only WRAPPER as root. Run it again after changing
                                    settings. --dry-run prints the files; --remove deletes them (not the user).
                                    Defaults: --home /home/USER, --wrapper /usr/local/libexec/hiy/USER-git-shell,
                                    --sudoers /etc/sudoers.d/hiy-USER.`,
  options: {
    user: { type: 'string' },
    home: { type: 'string' },
    wrapper: { type: 'string' },
    sudoers: { type: 'string' },
    'dry-run': { type: 'boolean' },
    remove: { type: 'boolean' },
  },
  load: async () => (await import('./ssh-account.js')).run,
};
