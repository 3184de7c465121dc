// `hiy secret` as --help and flag parsing know it; every hiy process imports this.
// ./secret.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'secret',
  summary: 'set, list or remove the values behind spec.secretEnv (kept on this box, never in git)',
  usage: `secret set NAME [--from-file FILE] | secret list [--json] | secret rm NAME
                                    set reads the value from stdin unless --from-file is given; it is never
                                    printed, logged, or stored anywhere but DATA_DIR/secrets (mode 0600)`,
  options: { 'from-file': { type: 'string' } },
  maxArgs: 2,
  needsState: false,
  load: async () => (await import('./secret.js')).run,
};
