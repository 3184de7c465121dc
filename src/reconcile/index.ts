// The controller's public API: what the CLI and the HTTP server may use of src/reconcile (nothing else).

export { backupsPlugin } from './backupSchedule.js';
export {
  type Daemon,
  type DaemonContext,
  type DaemonOptions,
  type DaemonPlugin,
  DaemonRunningError,
  DEFAULT_RESYNC,
  startDaemon,
} from './daemon.js';
export { jobsPlugin } from './jobSchedule.js';
export { CronExpressionError, checkCron } from './triggers.js';
export { DEFAULT_SAMPLE_INTERVAL_S, parseSampleInterval, usagePlugin } from './usageSampler.js';
