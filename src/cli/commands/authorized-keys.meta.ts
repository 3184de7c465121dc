// `hiy authorized-keys` as --help and flag parsing know it; every hiy process imports this.
// ./authorized-keys.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'authorized-keys',
  summary:
    "print (or write) the authorized_keys of HIY's ssh account: every User key forced to hiy git-shell",
  usage: `authorized-keys [--out FILE] [--json]
                                    Each line is restrict,pty,command="… hiy git-shell USER" KEY: no forwarding; a pty only for exec/run.
                                    The command carries every setting, so it works under a stock sshd; use it as
                                    sshd's AuthorizedKeysCommand to keep keys current (see README), or --out FILE
                                    to write the file atomically (mode 600).`,
  options: { out: { type: 'string' } },
  load: async () => (await import('./authorized-keys.js')).run,
};
