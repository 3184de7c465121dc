// `hiy ca` as --help and flag parsing know it; every hiy process imports this.
// ./ca.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'ca',
  summary: "print the root certificate (PEM) of Caddy's internal CA, for clients to trust (HIY_TLS=internal)",
  usage: `ca [--json]                       e.g. hiy ca > hiy-root.pem; curl --cacert hiy-root.pem https://HOST/
                                    (the CA is never installed into the system trust store)`,
  needsState: false,
  load: async () => (await import('./ca.js')).run,
};
