// Follows `podman events --format json` (containers and volumes): the feed of the daemon's observation cache.
import { execa } from 'execa';
import type { ExternalCalls } from '../externalCalls.js';

/** One event as `podman events --format json` prints it (Podman 4.3). */
export interface PodmanEvent {
  type: 'container' | 'volume';
  /** `create`, `start`, `died`, `remove`, `rename`… */
  status: string;
  /** The container's or volume's name. */
  name: string;
  id?: string;
  /** When Podman recorded it, in ms since the epoch (Podman gives ns; ms is enough to tell order and lag). */
  timeMs: number;
  /** A container's labels (volume events carry none). */
  labels: Record<string, string>;
}

/** A running `podman events` process. */
export interface PodmanEventStream {
  /** Ends the stream (the `onEnd` callback is not called for it). */
  stop(): Promise<void>;
}

/** How to follow Podman's events; the daemon's cache gets one from the composition root. */
export type FollowPodmanEvents = (handlers: {
  /** Events from this time on (ms since the epoch): Podman replays those recorded since, so none is missed. */
  sinceMs: number;
  onEvent(e: PodmanEvent): void;
  /** The stream ended on its own (podman exited or could not start): events may have been missed. */
  onEnd(reason: string): void;
}) => PodmanEventStream;

/** Parses one line of `podman events --format json`; undefined for anything that is not such an event. */
export function parsePodmanEvent(line: string): PodmanEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const o = raw as Record<string, unknown>;
  if (o.Type !== 'container' && o.Type !== 'volume') return undefined;
  const timeMs = typeof o.Time === 'string' ? Date.parse(o.Time) : Number.NaN;
  if (typeof o.Status !== 'string' || typeof o.Name !== 'string' || !Number.isFinite(timeMs))
    return undefined;
  const labels: Record<string, string> = {};
  if (o.Attributes && typeof o.Attributes === 'object')
    for (const [k, v] of Object.entries(o.Attributes as Record<string, unknown>))
      if (typeof v === 'string') labels[k] = v;
  return {
    type: o.Type,
    status: o.Status,
    name: o.Name,
    ...(typeof o.ID === 'string' && { id: o.ID }),
    timeMs,
    labels,
  };
}

/**
 * The argv of the event stream. No label filter: Podman 4.3 then drops every volume event (they carry no
 * attributes); the cache filters containers by label itself.
 */
export function eventsArgv(sinceMs: number): string[] {
  return [
    'events',
    '--format',
    'json',
    '--filter',
    'type=container',
    '--filter',
    'type=volume',
    '--since',
    new Date(sinceMs).toISOString(),
  ];
}

/** {@link FollowPodmanEvents} over the podman CLI: one long-running `podman events` process per stream. */
export function podmanEventFollower(opts: {
  binary?: string;
  externalCalls?: ExternalCalls;
}): FollowPodmanEvents {
  const binary = opts.binary ?? 'podman';
  return ({ sinceMs, onEvent, onEnd }) => {
    opts.externalCalls?.count('podman');
    const controller = new AbortController();
    let stopped = false;
    const child = execa(binary, eventsArgv(sinceMs), {
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      cancelSignal: controller.signal,
      forceKillAfterDelay: 2_000,
    });
    let pending = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        const e = line ? parsePodmanEvent(line) : undefined;
        if (e) onEvent(e);
        nl = pending.indexOf('\n');
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    const done = child.then((r) => {
      if (stopped) return;
      const why =
        r.code === 'ENOENT'
          ? `podman is not installed or not on PATH (tried "${binary}")`
          : `podman events exited (${r.exitCode ?? r.signal ?? 'unknown'})${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`;
      onEnd(why);
    });
    return {
      async stop() {
        stopped = true;
        controller.abort();
        await done;
      },
    };
  };
}
