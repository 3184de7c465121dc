// `hiy export` as --help and flag parsing know it; every hiy process imports this.
// ./export.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'export',
  summary: 'the committed state as Kubernetes manifests (and play.sh for podman kube play); touches nothing',
  usage: [
    'export kube [--out DIR] [--with-data] [--with-secret-values] [--cluster-issuer NAME]',
    '            [--ingress-namespace NS] [--json]',
    "    without --out the manifests are printed; --with-data copies each volume's latest verified snapshot",
    '    to DIR/data; --with-secret-values writes secret values (mode 600) — keep DIR private',
  ].join('\n'),
  options: {
    out: { type: 'string' },
    'with-data': { type: 'boolean' },
    'with-secret-values': { type: 'boolean' },
    'cluster-issuer': { type: 'string' },
    'ingress-namespace': { type: 'string' },
  },
  maxArgs: 1,
  load: async () => (await import('./export.js')).run,
};
