// `hiy doctor` as --help and flag parsing know it; ./doctor.ts, the implementation, is imported only when it runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'doctor',
  summary:
    'check the box for the user HIY runs as (rootless Podman: sub-ids, storage, tun, limits, ports, reboots)',
  usage: 'doctor [--json]    exit 0 when nothing is wrong, 1 with every problem and its fix',
  needsState: false,
  load: async () => (await import('./doctor.js')).run,
};
