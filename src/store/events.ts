// The event history: an append-only, bounded JSON Lines file in the data directory with a monotonic seq.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControllerEvent } from '../model/events.js';
import { appendFileDurable, writeFileAtomic } from './atomic.js';

/** Event types HIY writes (the API streams them; notifications pick the ones people care about). */
export const EVENT_TYPES = [
  'reconcile.started',
  'reconcile.finished',
  'reconcile.failed',
  'resource.applied',
  'resource.failed',
  'resource.removed',
  'drift.corrected',
  'snapshot.taken',
  'snapshot.failed',
  'rollback.finished',
  'resource.restarted',
  'job.failed',
  'build.failed',
  'build.cancelled',
  'backup.succeeded',
  'backup.failed',
  'backup.restored',
  'backup.checked',
  'backup.check.failed',
  'backup.drill.passed',
  'backup.drill.failed',
  'backup.stale',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** An event before it is numbered. */
export interface EventDraft {
  type: EventType;
  resource?: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface EventLogOptions {
  /** Events kept; the file is compacted to this many once it holds twice as many (default 1000). */
  keep?: number;
  now?: () => Date;
}

/**
 * `DATA_DIR/events.jsonl`, one event per line. An append is written in O_APPEND mode and fsynced; a line torn
 * by a crash (no final newline, or not JSON) is ignored by readers and dropped at the next append. Compaction
 * rewrites the newest `keep` events to a temporary file and renames it over the log, so the log is never
 * seen half-written, and the highest seq always survives (seq never goes back).
 *
 * Writers must be serialised across processes: HIY appends only while holding the apply lock (the daemon's
 * runs and `hiy apply` both take it). Within one process, appends are queued.
 */
export class EventLog {
  readonly path: string;
  private readonly keep: number;
  private readonly now: () => Date;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string, opts: EventLogOptions = {}) {
    this.path = join(dataDir, 'events.jsonl');
    this.keep = opts.keep ?? 1000;
    this.now = opts.now ?? (() => new Date());
  }

  /** Numbers and appends the drafts; resolves to the events as written. */
  append(drafts: EventDraft[]): Promise<ControllerEvent[]> {
    const next = this.chain.then(() => this.appendNow(drafts));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async appendNow(drafts: EventDraft[]): Promise<ControllerEvent[]> {
    if (drafts.length === 0) return [];
    const { events, torn, lines } = await this.load();
    let seq = events.at(-1)?.seq ?? 0;
    const at = this.now().toISOString();
    const written = drafts.map((d) => ({ seq: ++seq, at, ...d }) as ControllerEvent);
    const text = written.map((e) => `${JSON.stringify(e)}\n`).join('');
    if (torn || lines + written.length > this.keep * 2) {
      const kept = [...events, ...written].slice(-this.keep);
      await writeFileAtomic(this.path, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
    } else {
      await appendFileDurable(this.path, text);
    }
    return written;
  }

  private async load(): Promise<{ events: ControllerEvent[]; torn: boolean; lines: number }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], torn: false, lines: 0 };
      throw err;
    }
    const raw = text.split('\n');
    const torn = text.length > 0 && !text.endsWith('\n');
    if (!torn) raw.pop();
    const events: ControllerEvent[] = [];
    let bad = torn;
    for (const line of torn ? raw.slice(0, -1) : raw) {
      const e = parseEvent(line);
      if (e) events.push(e);
      else bad = true;
    }
    return { events, torn: bad, lines: raw.length };
  }

  /** Events with seq greater than `since` (default: all), oldest first; at most `limit` of the newest. */
  async read(opts: { since?: number; limit?: number } = {}): Promise<ControllerEvent[]> {
    const { events } = await this.load();
    const after = events.filter((e) => e.seq > (opts.since ?? 0));
    return opts.limit !== undefined ? after.slice(-opts.limit) : after;
  }

  /** Changes whenever the file does (size and mtime); lets followers skip re-reading an unchanged log. */
  async version(): Promise<string> {
    try {
      const st = await stat(this.path);
      return `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch {
      return 'absent';
    }
  }
}

function parseEvent(line: string): ControllerEvent | undefined {
  if (!line) return undefined;
  try {
    const e = JSON.parse(line) as ControllerEvent;
    return typeof e.seq === 'number' && typeof e.type === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}
