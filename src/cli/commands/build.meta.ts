// `hiy build` as --help and flag parsing know it; every hiy process imports this.
// ./build.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'build',
  summary: 'the builds of git pushes: list them (running and recent), cancel one that is running',
  usage: `build list [NAME] [--json]         running and recent builds, newest first: App, commit, pusher, state,
                                    step, duration (NAME: only that App's)
  build cancel NAME [--json]        stops the running build of App NAME (its podman build is killed, the
                                    push is rejected, the running version stays); too late once deploying.
                                    Over ssh: ssh hiy@box build:list NAME, build:cancel NAME`,
  maxArgs: 2,
  load: async () => (await import('./build.js')).run,
};
