// The daemon's observation cache: listings and Caddy's config kept in memory, invalidated by Podman's events.
import type { CaddyConfig, CaddyDriver } from '../drivers/caddy/types.js';
import type { FollowPodmanEvents, PodmanEvent, PodmanEventStream } from '../drivers/podman/events.js';
import type { PodmanDriver } from '../drivers/podman/types.js';
import { LABEL_INSTANCE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../model/labels.js';
import { instanceNetwork } from '../model/names.js';

/** What the cache keeps: the two Podman listings (by label filter) and Caddy's config. */
type Part = 'containers' | 'volumes' | 'caddy';

/**
 * Container event statuses that change nothing a listing shows (state, name, labels, ports): an `exec` of a
 * health check must not invalidate the listing, let alone wake a reconcile.
 */
const UNLISTED = new Set([
  'exec',
  'exec_died',
  'attach',
  'health_status',
  'mount',
  'unmount',
  'export',
  'sync',
]);

/** Podman calls that change nothing a listing shows; every other call invalidates the listings. */
const READ_ONLY = new Set<string>([
  'listContainers',
  'listVolumes',
  'imageExists',
  'inspectImage',
  'inspectImages',
  'buildImage',
  'exec',
  'execAttached',
  'logs',
  'listSecrets',
  'createSecret',
  'removeSecret',
  'exportVolume',
  'countVolumeFiles',
]);

/** Events more than this far behind the newest one seen mean Podman replays old events (podman#17665). */
const REPLAY_TOLERANCE_MS = 1_000;
/** An event recorded this long before it arrived means the stream lags: what it missed is unknown. */
const LAG_LIMIT_MS = 5_000;
/** Restart delays of a broken event stream (the last one repeats). */
const RESTART_DELAYS_MS = [1_000, 2_000, 5_000, 15_000, 30_000];

export interface ObservationCacheOptions {
  podman: PodmanDriver;
  caddy: CaddyDriver;
  instance: string;
  /** Starts `podman events`; without it the cache never serves from memory (every read lists). */
  follow?: FollowPodmanEvents;
  /** Told when an event changed what HIY observes of its own instance (the daemon reconciles). */
  onChange?: (why: string) => void;
  /** Told what the cache does that an operator may want to know (stream broken, replay detected). */
  onNotice?: (message: string, data?: Record<string, unknown>) => void;
  /** The clock (ms since the epoch); injected by tests. */
  now?: () => number;
}

/**
 * Serves the daemon's observations from memory while Podman's event stream is known to be whole, so a no-op
 * reconcile makes no external call. Correct by construction, not by applying events: an event only
 * invalidates what it may have changed, and the next read lists again. Everything is invalidated when the
 * stream starts, breaks, lags or replays, at every resync (`invalidate`), and by every Podman call of this
 * process that may change the box; Caddy's config is remembered only when HIY loaded it itself. The cache only
 * ever decides that nothing is to be done: the daemon plans again from fresh listings whenever a plan made from
 * memory changes anything (`memoryHits` tells whether a plan used memory), so nothing is created, replaced or
 * removed on its word alone.
 */
export class ObservationCache {
  /** The Podman driver to observe through: listings served from memory when valid, all else passed on. */
  readonly podman: PodmanDriver;
  /** The Caddy driver to observe through: the config as last read or loaded, when valid. */
  readonly caddy: CaddyDriver;
  /** Reads served from memory so far. */
  memoryHits = 0;
  private readonly gens: Record<Part, number> = { containers: 0, volumes: 0, caddy: 0 };
  private readonly entries = new Map<string, { gen: number; value: unknown }>();
  private stream: PodmanEventStream | undefined;
  private live = false;
  private stopped = false;
  private newestMs = 0;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly volumePrefix: string;

  constructor(private readonly opts: ObservationCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.volumePrefix = `${instanceNetwork(opts.instance)}-`;
    this.podman = this.cachedPodman(opts.podman);
    this.caddy = this.cachedCaddy(opts.caddy);
  }

  /** Whether the event stream runs, so reads may be served from memory. */
  get following(): boolean {
    return this.live;
  }

  /** Starts following Podman's events (a no-op without `follow`). */
  start(): void {
    if (!this.opts.follow || this.stopped) return;
    const sinceMs = this.now() - REPLAY_TOLERANCE_MS;
    this.newestMs = sinceMs;
    let ended = false;
    this.stream = this.opts.follow({
      // From a little before now: an event between the spawn and Podman's subscription is replayed, not lost.
      sinceMs,
      onEvent: (e) => {
        if (!ended) this.handle(e);
      },
      onEnd: (reason) => {
        ended = true;
        this.broken(reason);
      },
    });
    // What was listed before the stream ran may have missed a change: list again from here on.
    this.invalidate();
    this.live = true;
  }

  /** Stops following; reads list again from then on. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.live = false;
    clearTimeout(this.restartTimer);
    await this.stream?.stop();
  }

  /** Forgets everything (the resync): the next reads list again. */
  invalidate(...parts: Part[]): void {
    for (const p of parts.length ? parts : (['containers', 'volumes', 'caddy'] as Part[])) this.gens[p]++;
  }

  /** One event of the stream: invalidates what it may have changed; tells `onChange` when that is HIY's. */
  handle(e: PodmanEvent): void {
    const now = this.now();
    if (e.timeMs < this.newestMs - REPLAY_TOLERANCE_MS) {
      // Podman 4.3.1 replays old events after rotating its event log (podman#17665): events are hints, not a log.
      this.opts.onNotice?.('podman replays old events: listing everything again', { at: e.timeMs });
      this.invalidate();
      this.newestMs = e.timeMs;
      this.opts.onChange?.('podman event stream replayed');
      return;
    }
    this.newestMs = Math.max(this.newestMs, e.timeMs);
    // Behind by seconds: the stream lags, and what it has not delivered yet is unknown. List again.
    if (now - e.timeMs > LAG_LIMIT_MS) this.invalidate();
    // Other instances' containers are listed too (the host ports they publish), but only a plan that changes
    // something uses those, and such a plan is made from fresh listings anyway: their events are not ours.
    if (e.type === 'container') {
      if (e.labels[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE || e.labels[LABEL_INSTANCE] !== this.opts.instance)
        return;
      if (UNLISTED.has(e.status)) return;
      this.invalidate('containers');
      this.opts.onChange?.(`container ${e.name} ${e.status}`);
    } else if (e.name.startsWith(this.volumePrefix)) {
      // Volume events carry no labels: the instance's volumes are told by their names.
      this.invalidate('volumes');
      this.opts.onChange?.(`volume ${e.name} ${e.status}`);
    }
  }

  private broken(reason: string): void {
    this.live = false;
    this.stream = undefined;
    this.invalidate();
    if (this.stopped) return;
    const delay = RESTART_DELAYS_MS[Math.min(this.failures, RESTART_DELAYS_MS.length - 1)]!;
    this.failures++;
    this.opts.onNotice?.('podman event stream ended: observing directly until it runs again', {
      reason,
      retryInMs: delay,
    });
    this.restartTimer = setTimeout(() => {
      this.start();
      // A stream that keeps running for a minute resets the delays.
      setTimeout(() => {
        if (this.live) this.failures = 0;
      }, 60_000).unref();
    }, delay);
    this.restartTimer.unref();
    // What changed while nobody listened is seen by listing again: reconcile.
    this.opts.onChange?.('podman event stream ended');
  }

  /** A read through the cache: from memory while valid and the stream runs, else from `read` (remembered). */
  private async read<T>(part: Part, key: string, read: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(`${part}\0${key}`);
    if (this.live && entry && entry.gen === this.gens[part]) {
      this.memoryHits++;
      return structuredClone(entry.value) as T;
    }
    const gen = this.gens[part];
    const value = await read();
    // An event during the read leaves the part invalid (its generation moved on): the next read lists again.
    this.entries.set(`${part}\0${key}`, { gen, value: structuredClone(value) });
    return value;
  }

  private cachedPodman(inner: PodmanDriver): PodmanDriver {
    const labelKey = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());
    const listContainers: PodmanDriver['listContainers'] = (labels) =>
      this.read('containers', labelKey(labels), () => inner.listContainers(labels));
    const listVolumes: PodmanDriver['listVolumes'] = (labels) =>
      this.read('volumes', labelKey(labels), () => inner.listVolumes(labels));
    return new Proxy(inner, {
      get: (target, prop, receiver) => {
        if (prop === 'listContainers') return listContainers;
        if (prop === 'listVolumes') return listVolumes;
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const fn = value as (...args: unknown[]) => unknown;
        if (typeof prop === 'string' && READ_ONLY.has(prop)) return fn.bind(target);
        // A change made by this process: its own events arrive later than the next read may come.
        return async (...args: unknown[]) => {
          this.invalidate('containers', 'volumes');
          try {
            return await fn.apply(target, args);
          } finally {
            this.invalidate('containers', 'volumes');
          }
        };
      },
    });
  }

  private cachedCaddy(inner: CaddyDriver): CaddyDriver {
    return new Proxy(inner, {
      get: (target, prop, receiver) => {
        if (prop === 'getConfig') return () => this.read('caddy', '', () => target.getConfig());
        if (prop === 'load')
          return async (config: CaddyConfig) => {
            this.invalidate('caddy');
            // HIY's own load: Caddy runs exactly what it resolves to now (as getConfig reads it; for an owner's
            // load, the others' parts as Caddy had them a moment ago, not as `config` copied them).
            const loaded = await target.load(config);
            const gen = this.gens.caddy;
            this.entries.set('caddy\0', { gen, value: structuredClone(loaded) });
            return loaded;
          };
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
