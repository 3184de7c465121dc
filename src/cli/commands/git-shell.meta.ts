// `hiy git-shell` as --help and flag parsing know it; every hiy process imports this.
// ./git-shell.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'git-shell',
  summary:
    'the forced command of HIY ssh keys: git push/fetch of allowed repositories, and the everyday verbs',
  usage: `git-shell USER                    (run by sshd; reads SSH_ORIGINAL_COMMAND)
                                    Allows only git-receive-pack / git-upload-pack 'NAME' where NAME is an App
                                    repository (push needs the deploy grant, fetch view) or "state" (push: admin
                                    on "*"). A push builds and deploys; it fails when the build or deploy fails.
                                    Also logs, config, config:set/unset, restart, run, exec, job run NAME…
                                    with the API's grants; a terminal (ssh -t) only for exec and run.
                                    "login" prints a one-time sign-in URL of the dashboard for USER.`,
  maxArgs: 1,
  load: async () => (await import('./git-shell.js')).run,
};
