// Keeping a container's output just before apply removes it, for `hiy logs NAME --previous` (previousLogs.ts).

import type { RemovedContainer } from '../apply/types.js';
import { errorMessage } from '../model/errors.js';
import { PREVIOUS_LOG_BYTES, PREVIOUS_LOG_LINES, type PreviousLogLine } from '../store/previousLogs.js';
import type { Engine } from './context.js';

/** How long keeping a container's output may hold up the apply that removes it. */
const KEEP_TIMEOUT_MS = 10_000;

// `2024-05-01T10:00:00.123456789Z text`: podman's --timestamps prefix.
const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (.*)$/s;

/** A line's time as a sortable key: fractions padded to nanoseconds (podman trims trailing zeros). */
function timeKey(time: string): string {
  return time.replace(/(:\d\d)(?:\.(\d+))?(?=Z|[+-])/, (_, s: string, f = '') => `${s}.${f.padEnd(9, '0')}`);
}

/** Splits what `podman logs --timestamps` wrote to one stream into lines with their times. */
export function stampedLines(stream: PreviousLogLine['stream'], text: string): PreviousLogLine[] {
  const parts = text.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts.map((line) => {
    const m = STAMPED.exec(line);
    return m ? { stream, time: m[1]!, text: m[2]! } : { stream, time: '', text: line };
  });
}

/** Both streams' lines in the order they were written (stable: lines of the same instant keep their order). */
export function mergeLines(stdout: PreviousLogLine[], stderr: PreviousLogLine[]): PreviousLogLine[] {
  const all = [...stdout, ...stderr];
  if (stderr.length === 0 || stdout.length === 0) return all;
  const keys = new Map(all.map((l) => [l, timeKey(l.time)]));
  return all.sort((a, b) => (keys.get(a)! < keys.get(b)! ? -1 : keys.get(a)! > keys.get(b)! ? 1 : 0));
}

/** The newest lines within PREVIOUS_LOG_BYTES; whether older ones were dropped. */
export function boundLines(lines: PreviousLogLine[]): { lines: PreviousLogLine[]; dropped: boolean } {
  let bytes = 0;
  let from = lines.length;
  while (from > 0) {
    const size = Buffer.byteLength(lines[from - 1]!.text) + lines[from - 1]!.time.length + 2;
    if (bytes + size > PREVIOUS_LOG_BYTES) break;
    bytes += size;
    from--;
  }
  return { lines: from === 0 ? lines : lines.slice(from), dropped: from > 0 };
}

/**
 * Keeps the output of a container apply is about to remove, replacing what was kept for its resource. Never
 * throws: a failure to keep it is logged as a warning and the apply goes on (the output is a convenience, the
 * deploy is not); says whether it was kept. Called only when a container is removed, so a no-op apply makes no
 * podman call here.
 */
export async function keepPreviousLogs(
  engine: Pick<Engine, 'podman' | 'stores' | 'logger'>,
  removed: RemovedContainer,
): Promise<boolean> {
  try {
    const out = { stdout: '', stderr: '' };
    let cut = false;
    // Lines can be long: what is held while podman writes stays within twice the bound, its newest part.
    const take = (stream: 'stdout' | 'stderr') => (chunk: string) => {
      out[stream] += chunk;
      if (out[stream].length > 2 * PREVIOUS_LOG_BYTES) {
        const rest = out[stream].slice(-PREVIOUS_LOG_BYTES);
        out[stream] = rest.slice(rest.indexOf('\n') + 1);
        cut = true;
      }
    };
    await engine.podman.logs(
      removed.id,
      { timestamps: true, tail: PREVIOUS_LOG_LINES, signal: AbortSignal.timeout(KEEP_TIMEOUT_MS) },
      { stdout: take('stdout'), stderr: take('stderr') },
    );
    const merged = mergeLines(stampedLines('stdout', out.stdout), stampedLines('stderr', out.stderr));
    const { lines, dropped } = boundLines(merged);
    // A new container that failed before it printed anything (or never started) tells nothing: what was kept of
    // the container before it stays.
    if (removed.reason === 'failed' && lines.length === 0) return false;
    await engine.stores.previousLogs.write({
      resource: removed.resource,
      container: removed.name,
      containerId: removed.id,
      reason: removed.reason,
      removedAt: new Date().toISOString(),
      lines,
      // podman gave as many lines as asked: there may have been more before them.
      truncated: cut || dropped || merged.length >= PREVIOUS_LOG_LINES,
    });
    return true;
  } catch (err) {
    engine.logger.warn(
      { resource: removed.resource, container: removed.name, err: errorMessage(err) },
      'could not keep the output of the container being removed (hiy logs --previous will not show it)',
    );
    return false;
  }
}
