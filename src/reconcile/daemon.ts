// The daemon: pid file, triggers → one coalescing queue → a reconcile run (run.ts) under the box-wide apply lock,
// event delivery and plug-ins. Implements the Controller that the HTTP API codes against.

import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { LockBusyError } from '../apply/lock.js';
import { readHostCertificates } from '../drivers/caddy/storage.js';
import { watchDir } from '../drivers/watch/watch.js';
import { type BackoffPolicy, DEFAULT_BACKOFF } from '../engine/backoff.js';
import { type Engine, retryWhileLocked, withApplyLock } from '../engine/engine.js';
import { HiyError } from '../model/errors.js';
import type { Controller, ControllerEvent, ReconcileOutcome, Trigger } from '../model/events.js';
import { DEFAULT_RESYNC, planSettings } from '../model/settings.js';
import { ObservationCache } from '../observed/cache.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { EventDraft, EventLog } from '../store/events.js';
import { tryLockFile } from '../store/lockFile.js';
import { type CertificateWatch, startCertificateWatch } from './certificateWatch.js';
import { CoalescingQueue } from './queue.js';
import { reconcileOnce } from './run.js';
import {
  type SnapshotScheduler,
  startSnapshotScheduler,
  takeScheduledSnapshots,
} from './snapshotSchedule.js';
import { checkCron, cronTrigger, type TriggerHandle, WakeUpTimer, watchStateRepo } from './triggers.js';

export { DEFAULT_RESYNC };

/** What a plug-in (e.g. the HTTP API) gets when the daemon has started. */
export interface DaemonContext {
  controller: Controller;
  engine: Engine;
  logger: Logger;
  /** Publishes an endpoint (e.g. `api` → `http://127.0.0.1:7070`) in `DATA_DIR/daemon.json` for tools and the demo. */
  announce(name: string, url: string): Promise<void>;
}

/** Something started inside the daemon process once the controller exists, and stopped before it. */
export interface DaemonPlugin {
  name: string;
  start(ctx: DaemonContext): Promise<{ stop(): Promise<void> } | undefined>;
}

export interface DaemonOptions {
  engine: Engine;
  /** Cron expression of the periodic resync (5 fields, or 6 with seconds first). */
  resync?: string;
  /** Watch the state repo's refs (default true). */
  watch?: boolean;
  backoff?: BackoffPolicy;
  plugins?: DaemonPlugin[];
  /** How often to retry while another process (`hiy apply`) holds the apply lock (default 500 ms). */
  lockRetryMs?: number;
  /** Observe through an event-fed cache when the engine can follow Podman's events (default true). */
  observationCache?: boolean;
}

/** A running daemon: the Controller, plus what its owner needs. */
export interface Daemon extends Controller {
  /** Runs finished so far. */
  readonly runs: number;
  /** The engine the daemon runs with (observing through its cache, when it has one). */
  readonly engine: Engine;
  /** The observation cache, when the daemon follows Podman's events. */
  readonly cache: ObservationCache | undefined;
  /** Stops triggers and plug-ins, lets the run in progress finish, releases the pid file. */
  stop(): Promise<void>;
}

/** Another daemon already runs on this data directory. */
export class DaemonRunningError extends HiyError<{ pid: number; pidFile: string }> {
  constructor(data: { pid: number; pidFile: string }) {
    super(
      'DAEMON_RUNNING',
      `another hiy daemon (pid ${data.pid}) already runs on this data directory (${data.pidFile})`,
      { data },
    );
    this.name = 'DaemonRunningError';
  }
}

/**
 * `DATA_DIR/daemon.pid`: one daemon per data directory. A lock file like the apply lock's (store/lockFile.ts):
 * never seen half-written, taken over only from a provably dead daemon, released only by its owner.
 */
async function claimPidFile(dataDir: string): Promise<{ path: string; release(): Promise<void> }> {
  const path = join(dataDir, 'daemon.pid');
  const attempt = await tryLockFile(path);
  if (!attempt.held) throw new DaemonRunningError({ pid: attempt.holder?.pid ?? 0, pidFile: path });
  return attempt.held;
}

/** Delivers events other writers append to the log (watched; duplicates are dropped by seq). */
function tailEventLog(
  events: EventLog,
  deliver: (list: ControllerEvent[]) => void,
  onError: (err: unknown) => void,
): TriggerHandle {
  let since = 0;
  let reading = Promise.resolve();
  const readNow = () => {
    reading = reading
      .then(async () => {
        const list = await events.read({ since });
        if (list.length > 0) since = list.at(-1)!.seq;
        deliver(list);
      })
      .catch(onError);
  };
  // The watcher may fold close writes into one change: read once the burst is over (trailing, 100 ms).
  let timer: NodeJS.Timeout | undefined;
  const read = (path: string) => {
    if (path !== events.path) return;
    clearTimeout(timer);
    timer = setTimeout(readNow, 100);
  };
  void events.read({ limit: 1 }).then((l) => {
    since = l.at(-1)?.seq ?? 0;
  });
  // The data directory, not the file: the log may not exist yet.
  const watcher = watchDir(dirname(events.path), {
    depth: 0,
    onEvent: (event, path) => {
      if (event === 'add' || event === 'change') read(path);
    },
    onError,
  });
  return {
    async stop() {
      clearTimeout(timer);
      await watcher.close();
      await reading;
    },
  };
}

/** Starts the daemon: claims the pid file, starts triggers and plug-ins, and enqueues a first run. */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { dataDir } = opts.engine.settings;
  const log = opts.engine.logger.child({ component: 'daemon' });
  // Observation from memory while Podman's events say nothing changed (src/observed/cache.ts, docs/design.md).
  const follow = opts.observationCache === false ? undefined : opts.engine.followPodmanEvents;
  let eventTimer: NodeJS.Timeout | undefined;
  const cache = follow
    ? new ObservationCache({
        podman: opts.engine.podman,
        caddy: opts.engine.caddy,
        instance: opts.engine.settings.instance,
        follow,
        // A burst of events (a container stopping: stop, died, cleanup) wakes one run.
        onChange: (why) => {
          clearTimeout(eventTimer);
          eventTimer = setTimeout(() => void queue.enqueue({ kind: 'podman-event', detail: why }), 50);
        },
        onNotice: (message, data) => log.warn(data ?? {}, message),
      })
    : undefined;
  const engine: Engine = cache ? { ...opts.engine, podman: cache.podman, caddy: cache.caddy } : opts.engine;
  const resync = opts.resync ?? DEFAULT_RESYNC;
  checkCron(resync, 'resync schedule');
  const policy = opts.backoff ?? DEFAULT_BACKOFF;
  const pidFile = await claimPidFile(dataDir);
  const events = engine.stores.events;
  const listeners = new Set<(e: ControllerEvent) => void>();
  const endpoints: Record<string, string> = {};
  const runtimeFile = join(dataDir, 'daemon.json');
  const startedAt = new Date().toISOString();
  let stopping = false;

  const writeRuntime = () =>
    writeFileAtomic(
      runtimeFile,
      `${JSON.stringify(
        {
          pid: process.pid,
          startedAt,
          stateRepo: engine.settings.stateRepo,
          branch: engine.settings.branch,
          instance: engine.settings.instance,
          resync,
          endpoints,
          // What its plans depend on: a command run from a shell compares its own with these (hiy settings).
          settings: planSettings(engine.settings),
        },
        null,
        2,
      )}\n`,
    );

  // Highest seq delivered to subscribers. Events appended by other processes (a `hiy apply` or `hiy rollback`
  // from a shell) or by code outside the run loop reach subscribers through the log tail below; seq 0 marks
  // live-only events (no-op runs, for metrics), which are never written to the log.
  let published = (await events.read({ limit: 1 })).at(-1)?.seq ?? 0;
  const publish = (list: ControllerEvent[]) => {
    for (const e of list) {
      if (e.seq !== 0) {
        if (e.seq <= published) continue;
        published = e.seq;
      }
      for (const l of listeners) {
        try {
          l(e);
        } catch (err) {
          log.warn({ err }, 'an event listener threw');
        }
      }
    }
  };

  const wakeUp = new WakeUpTimer(() => {
    void queue.enqueue({ kind: 'resync', detail: 'backoff expired' });
  });
  let snapshots: SnapshotScheduler | undefined;
  let certificates: CertificateWatch | undefined;

  /** One reconcile (src/reconcile/run.ts); the caller holds the apply lock. */
  const reconcile = (triggers: Trigger[], earlier: EventDraft[]): Promise<ReconcileOutcome> =>
    reconcileOnce({
      engine,
      events,
      logger: log,
      clock: () => new Date(),
      backoff: policy,
      triggers,
      earlier,
      publish,
      onPlanned: (desired, history) => {
        snapshots?.update(desired);
        certificates?.update(desired, history.hostCertificates);
      },
      // Wake up when the earliest backoff expires, rather than at the next resync after it.
      onBackoff: (retryAt) => wakeUp.armAt(retryAt),
      ...(cache && { observation: cache }),
    });

  /** Runs fn, waiting while another process (a `hiy apply` from a shell) holds the apply lock. */
  const retryingLock = async <T>(fn: () => Promise<T>): Promise<T | undefined> =>
    retryWhileLocked(fn, {
      ms: Number.POSITIVE_INFINITY,
      retryMs: opts.lockRetryMs ?? 500,
      onWait: (busy) => log.info({ holder: busy.data }, 'waiting for the apply lock'),
      stopped: () => stopping,
    }).catch((err: unknown) => {
      if (err instanceof LockBusyError && stopping) return undefined;
      throw err;
    });

  /** One queue run: scheduled snapshots first (each holds the lock itself), then the reconcile. */
  const runBatch = async (triggers: Trigger[]): Promise<ReconcileOutcome> => {
    // The resync (and a start) lists everything again: events are hints, and Caddy's config may be edited by hand.
    if (triggers.some((t) => t.kind === 'resync' || t.kind === 'startup')) cache?.invalidate();
    const drafts: EventDraft[] = [];
    const snapshotFor = new Set(
      triggers.flatMap((t) => (t.kind === 'snapshot-schedule' && t.detail ? [t.detail] : [])),
    );
    for (const id of snapshotFor) {
      const spec = snapshots?.spec(id);
      if (spec) drafts.push(...((await retryingLock(() => takeScheduledSnapshots(engine, spec))) ?? []));
    }
    const outcome = await retryingLock(() => withApplyLock(engine, () => reconcile(triggers, drafts)));
    return outcome ?? { ok: false, actions: 0, error: 'stopping while another process held the apply lock' };
  };

  const queue = new CoalescingQueue(runBatch);
  const controller: Controller = {
    enqueue: (trigger) => queue.enqueue(trigger),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  const handles: TriggerHandle[] = [];
  const pluginHandles: { name: string; stop(): Promise<void> }[] = [];
  try {
    cache?.start();
    await writeRuntime();
    if (opts.watch !== false) {
      handles.push(
        await watchStateRepo({
          repo: engine.settings.stateRepo,
          branch: engine.settings.branch,
          git: engine.git,
          onCommit: (commit) => {
            log.info({ commit }, 'new commit on the state repo');
            void queue.enqueue({ kind: 'commit', detail: commit });
          },
          onError: (err) => log.warn({ err }, 'watching the state repo'),
        }),
      );
    }
    handles.push(cronTrigger(resync, () => void queue.enqueue({ kind: 'resync' })));
    handles.push(
      tailEventLog(
        events,
        (list) => publish(list),
        (err) => log.warn({ err }, 'reading the event log'),
      ),
    );
    snapshots = startSnapshotScheduler({
      logger: log,
      enqueue: (resource) => queue.enqueue({ kind: 'snapshot-schedule', detail: resource }),
    });
    const caddyData = engine.settings.tls === 'off' ? undefined : engine.settings.caddyDataDir;
    if (caddyData) {
      certificates = startCertificateWatch({
        read: (hosts) => readHostCertificates(caddyData, hosts),
        enqueue: (host) => {
          log.info({ host }, "Caddy's certificate changed");
          void queue.enqueue({ kind: 'certificate', detail: host });
        },
        onError: (err) => log.warn({ err }, "reading Caddy's certificate storage"),
      });
      handles.push(certificates);
    }
    const ctx: DaemonContext = {
      controller,
      engine,
      logger: log,
      async announce(name, url) {
        endpoints[name] = url;
        await writeRuntime();
      },
    };
    for (const p of opts.plugins ?? []) {
      const h = await p.start(ctx);
      if (h) pluginHandles.push({ name: p.name, stop: () => h.stop() });
    }
  } catch (err) {
    for (const h of handles) await h.stop().catch(() => undefined);
    for (const h of pluginHandles.reverse()) await h.stop().catch(() => undefined);
    snapshots?.stop();
    clearTimeout(eventTimer);
    await cache?.stop();
    // No daemon.json of a daemon that never ran (a busy --api-addr, say): tools would look for it.
    await rm(runtimeFile, { force: true });
    await pidFile.release();
    throw err;
  }
  log.info({ pid: process.pid, resync, stateRepo: engine.settings.stateRepo }, 'daemon started');
  void queue.enqueue({ kind: 'startup' });

  let stopped: Promise<void> | undefined;
  return {
    ...controller,
    get runs() {
      return queue.runs;
    },
    engine,
    cache,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        log.info('stopping: no new runs; the run in progress finishes');
        wakeUp.stop();
        snapshots?.stop();
        for (const h of handles) await h.stop().catch((err) => log.warn({ err }, 'stopping a trigger'));
        for (const h of pluginHandles.reverse())
          await h.stop().catch((err) => log.warn({ err, plugin: h.name }, 'stopping a plug-in'));
        await queue.stop();
        clearTimeout(eventTimer);
        await cache?.stop();
        await rm(runtimeFile, { force: true });
        await pidFile.release();
        log.info('daemon stopped');
      })();
      return stopped;
    },
  };
}
