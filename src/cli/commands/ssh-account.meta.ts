// `hiy ssh-account` as --help and flag parsing know it; every hiy process imports this.
// ./ssh-account.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'ssh-account',
  summary:
    'set up the ssh account users push to (ssh://hiy@host/app), rootless or through sudo, its keys kept current',
  usage: `ssh-account [--mode rootless|root] [--user hiy] [--home DIR] [--wrapper PATH] [--sudoers PATH]
            [--dry-run] [--remove] [--json]
                                    Writes the account's authorized_keys (every User key forced to the wrapper;
                                    rewritten by every apply) and WRAPPER (this HIY's settings and
                                    hiy git-shell "$1", nothing else). Run it again after changing settings.
                                    --mode rootless (the default when HIY runs as an unprivileged user, which owns
                                    the data dir; run it as that user): the user's own ~/.ssh/authorized_keys
                                    (600), keys forced to WRAPPER USER, WRAPPER (700) in
                                    ~/.local/libexec/hiy/git-shell; no sudo, nothing runs as root.
                                    --mode root (the default as root with a root-owned data dir; run as root):
                                    creates the system user (shell /bin/sh, no password) if missing; keys forced
                                    to sudo -n WRAPPER USER, WRAPPER root's (755, default
                                    /usr/local/libexec/hiy/USER-git-shell) and a sudoers drop-in (checked by
                                    visudo, default /etc/sudoers.d/hiy-USER) letting the account run only WRAPPER.
                                    --dry-run prints the mode and the files; --remove deletes what it wrote (not
                                    the user). --home defaults to the user's home.`,
  options: {
    mode: { type: 'string' },
    user: { type: 'string' },
    home: { type: 'string' },
    wrapper: { type: 'string' },
    sudoers: { type: 'string' },
    'dry-run': { type: 'boolean' },
    remove: { type: 'boolean' },
  },
  load: async () => (await import('./ssh-account.js')).run,
};
