// The Engine: everything one pass of the loop works with (drivers, stores, settings), built by the composition root.
import type { Logger } from 'pino';
import type { ExportCommit } from '../apply/apply.js';
import type { BuildSupport } from '../apply/build.js';
import type { LockBusyError } from '../apply/lock.js';
import type { AccessLogCursor, AccessLogRead } from '../drivers/caddy/accessLog.js';
import type { CaddyDriver } from '../drivers/caddy/types.js';
import type { ExternalCalls } from '../drivers/externalCalls.js';
import type { GitReader } from '../drivers/git/types.js';
import type { FollowPodmanEvents } from '../drivers/podman/events.js';
import type { ReadContainerStats } from '../drivers/podman/stats.js';
import type { PodmanDriver } from '../drivers/podman/types.js';
import type { Prober } from '../drivers/probe/prober.js';
import type { ResticDriver } from '../drivers/restic/types.js';
import type { BoxFacts } from '../model/box.js';
import type { ContainerInfo } from '../model/containers.js';
import type { Settings } from '../model/settings.js';
import type { Stores } from '../store/index.js';

/** Everything the engine needs, built by the composition root (src/main.ts) or by tests. */
export interface Engine {
  settings: Settings;
  podman: PodmanDriver;
  caddy: CaddyDriver;
  git: GitReader;
  prober: Prober;
  exportCommit: ExportCommit;
  /** Offsite backups (src/backup); absent where none are taken (tests of other features). */
  restic?: ResticDriver;
  logger: Logger;
  /** The data directory's stores, opened once by the composition root (`openStores(settings.dataDir)`). */
  stores: Stores;
  /** How long commands wait for the apply lock held by another run, e.g. the daemon's (default 0: fail at once). */
  lockWaitMs?: number;
  /** Told once when a command starts waiting for the apply lock. */
  onLockWait?: (busy: LockBusyError) => void;
  /** Containerfiles for detected stacks and build caps (src/push); without it only Containerfiles build. */
  build?: BuildSupport;
  /** Counts the drivers' calls to external processes and APIs (the daemon's /metrics); built by the composition root. */
  externalCalls?: ExternalCalls;
  /** Follows Podman's events; the daemon's observation cache is fed by it (absent: the daemon observes directly). */
  followPodmanEvents?: FollowPodmanEvents;
  /**
   * What the daemon's usage sampler reads (one podman stats; Caddy's access log from a cursor, with Caddy's
   * config for its routes); absent: no sampling.
   */
  usageProbes?: {
    containerStats: ReadContainerStats;
    accessLog?: (cursor: AccessLogCursor | undefined) => Promise<AccessLogRead>;
  };
  /**
   * Reads the box's free memory and process room and measures a few of `running` (this instance's running
   * containers), for the capacity check of a plan that starts containers (src/drivers/host/box.ts). Absent:
   * no capacity check (tests of other features).
   */
  readBox?: (running: readonly ContainerInfo[]) => Promise<BoxFacts>;
  /** Commits that replace branch heads of App sources (a push being received); see ResolveOptions. */
  sourceOverrides?: ReadonlyMap<string, string>;
}
