// The daemon's usage sampler: every N seconds one `podman stats` for all of the instance's containers and what
// Caddy's access log gained, per route, folded into the rings of DATA_DIR/usage.json; volume sizes every 10 minutes.
import type { Logger } from 'pino';
import type { AccessLogCursor } from '../drivers/caddy/accessLog.js';
import { parseOwned } from '../drivers/caddy/render.js';
import { countByRoute, type RouteCounts, routeKey } from '../drivers/caddy/routeTraffic.js';
import type { ContainerStats } from '../drivers/podman/stats.js';
import type { Engine } from '../engine/engine.js';
import { errorMessage } from '../model/errors.js';
import {
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_ONE_OFF,
  LABEL_RESOURCE,
  MANAGED_BY_VALUE,
  ownershipLabels,
} from '../model/labels.js';
import { objectNames } from '../model/names.js';
import { emptyUsage, type UsageDoc, type VolumeSize } from '../store/usage.js';
import { addSample, emptySeries, isRecent, type Series } from '../store/usageRing.js';
import type { DaemonPlugin } from './daemon.js';

/** The default sampling interval (HIY_SAMPLE_INTERVAL), in seconds. */
export const DEFAULT_SAMPLE_INTERVAL_S = 30;
/** How often volumes are measured (a walk of their files), in seconds. */
export const VOLUME_INTERVAL_S = 600;

/**
 * HIY_SAMPLE_INTERVAL as seconds: a whole number from 5 to 3600, or `0`/`off` (no sampling); unset: the default.
 * Throws a message naming the variable for anything else.
 */
export function parseSampleInterval(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_SAMPLE_INTERVAL_S;
  const t = text.trim();
  if (t === 'off' || t === '0') return 0;
  const n = /^\d+$/.test(t) ? Number(t) : Number.NaN;
  if (!(n >= 5 && n <= 3600))
    throw new Error(
      `HIY_SAMPLE_INTERVAL: expected seconds from 5 to 3600, or off; got ${JSON.stringify(text)}`,
    );
  return n;
}

/** What one sample read. */
export interface UsageReading {
  /** When, in ms since the epoch. */
  at: number;
  /** The stats of the instance's running containers, with their resource. */
  stats: { resource: string; stats: ContainerStats }[];
  /**
   * Requests, 5xx and their summed durations (ms) per route key (`host/path`) since the previous reading, every
   * route of HIY's server included (zeros for a quiet one); undefined when the log could not be read or this was
   * the first reading (which only notes where the log ends).
   */
  traffic?: Record<string, RouteCounts>;
  /** Where the access log was read up to (kept from the previous reading when it could not be read). */
  accessLog?: AccessLogCursor;
  problems: string[];
}

/** Folds series idle for a day out of a map of series. */
function recentOnly(all: Record<string, Series>, t: number): Record<string, Series> {
  return Object.fromEntries(Object.entries(all).filter(([, s]) => isRecent(s, t)));
}

/**
 * The usage file with one reading folded in, pure. CPU is the CPU time used since the previous sample over the
 * time between them (a container new since then: Podman's average since its start); a resource with several
 * containers (a start-first upgrade under way) sums them. Requests, 5xx answers and durations are what the
 * access log gained since the previous reading, per route.
 */
export function foldReading(doc: UsageDoc, r: UsageReading): UsageDoc {
  const t = Math.floor(r.at / 1000);
  const prev = doc.counters;
  const dt = prev ? (r.at - prev.at) / 1000 : 0;
  const cpu: Record<string, number> = {};
  const perResource = new Map<string, [number, number]>();
  for (const { resource, stats: s } of r.stats) {
    cpu[s.id] = s.cpuNanos;
    const before = prev?.cpu[s.id];
    const percent =
      before !== undefined && dt > 0 && s.cpuNanos >= before
        ? ((s.cpuNanos - before) / 1e9 / dt) * 100
        : s.cpuPercentSinceStart;
    const sum = perResource.get(resource) ?? [0, 0];
    perResource.set(resource, [sum[0] + percent, sum[1] + s.memBytes]);
  }
  const resources = { ...doc.resources };
  for (const [id, values] of perResource)
    resources[id] = addSample(resources[id] ?? emptySeries(), t, values, 'mean');
  const routes = { ...doc.routes };
  for (const [key, counts] of Object.entries(r.traffic ?? {}))
    routes[key] = addSample(routes[key] ?? emptySeries(), t, counts, 'sum');
  const accessLog = r.accessLog ?? prev?.accessLog;
  return {
    ...doc,
    sampledAt: new Date(r.at).toISOString(),
    resources: recentOnly(resources, t),
    routes: recentOnly(routes, t),
    counters: { at: r.at, cpu, ...(accessLog && { accessLog }) },
    problems: r.problems,
  };
}

/**
 * What the access log gained since `cursor`, per route of HIY's server as Caddy runs it (one read of its
 * config); undefined traffic on the first read, which only notes where the log ends.
 */
async function readTraffic(
  engine: Engine,
  cursor: AccessLogCursor | undefined,
): Promise<Pick<UsageReading, 'traffic' | 'accessLog'>> {
  const read = engine.usageProbes?.accessLog;
  if (!read) return {};
  if (!cursor) {
    const first = await read(undefined);
    return first.cursor ? { accessLog: first.cursor } : {};
  }
  const server = objectNames(engine.settings.instance).caddyServer;
  // Either failing fails the whole reading: the cursor stays, and the next sample reads the same lines again.
  const [config, log] = await Promise.all([engine.caddy.getConfig(), read(cursor)]);
  const routes = parseOwned(config, server).state?.routes ?? [];
  const traffic: Record<string, RouteCounts> = {};
  for (const r of routes) traffic[routeKey(r)] = [0, 0, 0];
  Object.assign(traffic, countByRoute(log.entries, routes));
  return { traffic, ...(log.cursor && { accessLog: log.cursor }) };
}

/**
 * Reads one sample of the instance: the containers from the (cached) listing, one stats call, the access log
 * from `cursor` (where the previous sample stopped) and Caddy's config (which routes there are).
 */
export async function readUsage(
  engine: Engine,
  cursor?: AccessLogCursor,
  now = Date.now,
): Promise<UsageReading> {
  const probes = engine.usageProbes;
  const { instance } = engine.settings;
  const problems: string[] = [];
  // The same label set as the observation's listing: the daemon's cache answers it from memory.
  const listed = await engine.podman
    .listContainers({ [LABEL_MANAGED_BY]: MANAGED_BY_VALUE })
    .catch((err: unknown) => {
      problems.push(`listing containers: ${errorMessage(err)}`);
      return [];
    });
  const running = listed.filter(
    (c) => c.labels[LABEL_INSTANCE] === instance && !c.labels[LABEL_ONE_OFF] && c.state === 'running',
  );
  const resourceOf = new Map(running.map((c) => [c.name, c.labels[LABEL_RESOURCE] ?? '']));
  const [stats, traffic] = await Promise.all([
    probes
      ? probes.containerStats([...resourceOf.keys()]).catch((err: unknown) => {
          problems.push(errorMessage(err));
          return [];
        })
      : [],
    readTraffic(engine, cursor).catch((err: unknown) => {
      problems.push(`Caddy's access log: ${errorMessage(err)}`);
      return {};
    }),
  ]);
  return {
    at: now(),
    stats: stats.flatMap((s) => {
      const resource = resourceOf.get(s.name);
      return resource ? [{ resource, stats: s }] : [];
    }),
    ...traffic,
    problems,
  };
}

/** Measures the instance's volumes (a walk of each one's files); a volume that cannot be read keeps its old size. */
export async function measureVolumes(
  engine: Engine,
  old: Record<string, VolumeSize>,
  problems: string[],
): Promise<Record<string, VolumeSize>> {
  const volumes = await engine.podman.listVolumes(ownershipLabels(engine.settings.instance));
  const out: Record<string, VolumeSize> = {};
  // One at a time: a walk reads the disk, and the dashboard can wait.
  for (const v of volumes) {
    try {
      const c = await engine.podman.countVolumeFiles(v.mountpoint);
      const resource = v.labels[LABEL_RESOURCE] ?? '';
      out[v.name] = { resource, bytes: c.bytes, files: c.files, at: new Date().toISOString() };
    } catch (err) {
      problems.push(`measuring volume ${v.name}: ${errorMessage(err)}`);
      if (old[v.name]) out[v.name] = old[v.name]!;
    }
  }
  return out;
}

/**
 * The daemon plug-in that samples usage every `intervalSeconds` (0: never). A sample still running when the next
 * is due makes that one skip; a failed sample is logged and the next one tries again.
 */
export function usagePlugin(opts: { intervalSeconds: number; volumeIntervalSeconds?: number }): DaemonPlugin {
  return {
    name: 'usage',
    async start(ctx) {
      const { engine } = ctx;
      const log: Logger = ctx.logger.child({ component: 'usage' });
      if (opts.intervalSeconds <= 0 || !engine.usageProbes) return undefined;
      const store = engine.stores.usage;
      const volumeEvery = (opts.volumeIntervalSeconds ?? VOLUME_INTERVAL_S) * 1000;
      let volumesAt = 0;
      let running: Promise<void> | undefined;
      const sample = async () => {
        const old = (await store.read()) ?? emptyUsage(opts.intervalSeconds);
        const reading = await readUsage(engine, old.counters?.accessLog);
        let doc = foldReading({ ...old, intervalSeconds: opts.intervalSeconds }, reading);
        if (reading.at - volumesAt >= volumeEvery) {
          const problems = [...(doc.problems ?? [])];
          doc = { ...doc, volumes: await measureVolumes(engine, old.volumes, problems), problems };
          volumesAt = reading.at;
        }
        await store.write(doc);
      };
      const tick = () => {
        if (running) return;
        running = sample()
          .catch((err: unknown) => log.warn({ err }, 'usage sample failed'))
          .finally(() => {
            running = undefined;
          });
      };
      const timer = setInterval(tick, opts.intervalSeconds * 1000);
      timer.unref();
      tick();
      log.info({ intervalSeconds: opts.intervalSeconds }, 'sampling usage');
      return {
        async stop() {
          clearInterval(timer);
          await running;
        },
      };
    },
  };
}
