// `hiy logs` as --help and flag parsing know it; every hiy process imports this.
// ./logs.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'logs',
  summary: "a resource's container output (-f: follow it across deploys), or its scheduled job runs (--job)",
  usage: `logs NAME [-f] [--since 10m] [--tail N] [--timestamps] [--previous] [--job JOB] [--build [RELEASE]] [--json]
                                    -f keeps streaming until Ctrl-C, on through replacements by deploys and
                                    restarts. --previous: the output of the container before the last
                                    replacement (deploy, restart) or removal, or of a new one that failed its
                                    health check, as kept then (its last 10,000 lines, 1 MiB). --job JOB: the last runs of a scheduled job (output, exit code).
                                    --build: the build log of an App's current release (or of RELEASE).`,
  options: {
    follow: { type: 'boolean', short: 'f' },
    since: { type: 'string' },
    tail: { type: 'string' },
    timestamps: { type: 'boolean' },
    previous: { type: 'boolean' },
    job: { type: 'string' },
    build: { type: 'boolean' },
  },
  maxArgs: 2,
  load: async () => (await import('./logs.js')).run,
};
