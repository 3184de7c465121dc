// `hiy daemon` as --help and flag parsing know it; every hiy process imports this.
// ./daemon.ts, the implementation, is imported only when the command runs.
import { DEFAULT_API_ADDR, DEFAULT_RESYNC } from '../../model/settings.js';
import type { Command } from '../command.js';

export const command: Command = {
  name: 'daemon',
  summary: 'run unattended: apply new commits, resync on a schedule, back off failing resources',
  usage: `daemon [--resync CRON] [--api-addr HOST:PORT]
                                    CRON (or HIY_RESYNC): resync schedule, default "${DEFAULT_RESYNC}" (every minute);
                                    6 fields = seconds first ("*/30 * * * * *"). --api-addr (or HIY_API_ADDR):
                                    the HTTP API and webhooks, default ${DEFAULT_API_ADDR}; "off" disables them.
                                    HIY_SAMPLE_INTERVAL: seconds between the dashboard's usage samples
                                    (default 30; off disables; docs/dashboard.md).
                                    Runs until SIGTERM/SIGINT, which let the run in progress finish.
                                    One daemon per data directory.`,
  options: { resync: { type: 'string' }, 'api-addr': { type: 'string' } },
  load: async () => (await import('./daemon.js')).run,
};
