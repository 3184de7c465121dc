// `hiy exec` and `hiy run` as --help and flag parsing know them; every hiy process imports this.
// ./exec.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

const attach = {
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
} as const;

export const command: Command = {
  name: 'exec',
  summary: "run a command in a resource's running container, with its environment (secretEnv included)",
  usage: `exec [--user U] NAME [-i] [-t] -- CMD [ARG…]
                                    -i passes stdin on, -t gives a terminal (-it for a shell). The exit code
                                    is the command's. --user (-u) runs it as U (a name or uid[:gid]); without
                                    it, as the user the port declares for exec (postgres: postgres), else
                                    the image's.`,
  options: { ...attach, user: { type: 'string', short: 'u' } },
  maxArgs: 1000,
  load: async () => (await import('./exec.js')).runExec,
};

export const runCommand: Command = {
  name: 'run',
  summary: 'run a one-off container of a resource (its image, env, secrets, volumes), removed afterwards',
  usage: `run NAME [-i] [-t] -- CMD [ARG…]
                                    for migrations, consoles, backfills; the exit code is the command's.
                                    Refused while the resource is being upgraded.`,
  options: attach,
  maxArgs: 1000,
  load: async () => (await import('./exec.js')).runRun,
};
