// The apply journal: before each step that leaves the box half-changed if interrupted, HIY appends what it is
// about to do; after the step, how far it got. The next run under the apply lock reads the journal, finishes or
// undoes every step left open (recover), then plans as usual. One JSON object per line, fsynced.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { appendFileDurable } from './atomic.js';
import { type Faults, noFaults } from './faults.js';

/**
 * A step and how far it got. Each record names the step (`id`) and its latest `phase`; recovery looks only at
 * the last record of each id.
 */
export type JournalEntry =
  /** `podman run` of a new container (create, or the new side of a start-first replace). */
  | { id: string; kind: 'run'; name: string; phase: 'running' | 'done' }
  /**
   * Stop-first replace: `stopping` (old being stopped), `snapshotting`, `parked` (old renamed to `parked`, new
   * being restored/run/health-checked), `healthy` (parked to be removed), `done`.
   */
  | {
      id: string;
      kind: 'replace';
      final: string;
      parked: string;
      phase: 'stopping' | 'snapshotting' | 'parked' | 'healthy' | 'done';
      /** Snapshots of the old data taken by this replace: restored when it is undone. */
      snapshots?: { volume: string; id: string }[];
    }
  /** Start-first replace after the new one proved healthy: `routed` once Caddy points at it, then retire. */
  | {
      id: string;
      kind: 'switch';
      old: string;
      next: string;
      final: string;
      phase: 'healthy' | 'routed' | 'done';
    }
  /** A restore of a snapshot into a volume: `saving` the current content first, then `replacing` it. */
  | {
      id: string;
      kind: 'restore';
      /** Volume the snapshot was taken of. */
      from: string;
      snapshot: string;
      /** Volume being restored into. */
      volume: string;
      phase: 'saving' | 'replacing' | 'done';
    }
  /** Containers stopped so their volumes are at rest (manual snapshots, restores). */
  | { id: string; kind: 'stopped'; containers: string[]; phase: 'stopped' | 'done' };

export type JournalKind = JournalEntry['kind'];

export class Journal {
  readonly path: string;
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;

  /**
   * `faults`: the crash points of the kill -9 tests (`kind:phase` after each record is on disk); the steps the
   * journal records use the same ones (`journal.faults`).
   */
  constructor(
    dataDir: string,
    readonly faults: Faults = noFaults,
  ) {
    this.path = join(dataDir, 'journal.jsonl');
  }

  /** A new step id, unique within this journal. */
  nextId(prefix: string): string {
    this.seq++;
    return `${prefix}#${process.pid}.${Date.now().toString(36)}.${this.seq}`;
  }

  /** Appends a record and syncs it to disk before returning; records are written in call order. */
  write(entry: JournalEntry): Promise<void> {
    const line = `${JSON.stringify({ ...entry, at: new Date().toISOString() })}\n`;
    const next = this.chain.then(async () => {
      await appendFileDurable(this.path, line);
      this.faults.point(`${entry.kind}:${entry.phase}`);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The steps left open: the last record of each id whose phase is not `done`. A torn last line is ignored. */
  async open(): Promise<JournalEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const last = new Map<string, JournalEntry>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as JournalEntry;
        last.set(e.id, e);
      } catch {
        // Killed mid-write: the torn line is the step's record that never finished; the prior one stands.
      }
    }
    return [...last.values()].filter((e) => e.phase !== 'done');
  }

  /** Forgets everything (after a run closed or recovered every step). */
  async clear(): Promise<void> {
    await this.chain;
    await rm(this.path, { force: true });
  }
}
