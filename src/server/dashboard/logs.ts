// Container logs on the resource page: the last lines rendered with the page, then followed live over SSE
// (across replacements: a deploy does not end the stream), through the engine's resourceLogs as `hiy logs -f`.
import type { ServerResponse } from 'node:http';
import { resourceLogs } from '../../engine/logs.js';
import type { DashboardContext } from './context.js';

/** Lines shown with the page, and the longest line kept (a page stays small). */
const TAIL = 100;
const LINE_MAX = 400;

function clip(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.length > LINE_MAX ? `${l.slice(0, LINE_MAX)}…` : l))
    .join('\n');
}

/** The last lines of the resource's container, or a sentence saying why there are none. */
export async function recentLogs(ctx: DashboardContext, id: string): Promise<string> {
  let out = '';
  try {
    const sink = (c: string) => {
      out += c;
    };
    await resourceLogs(ctx.engine, id, { tail: TAIL }, { stdout: sink, stderr: sink });
  } catch (err) {
    return `(no logs: ${(err as Error).message})`;
  }
  return clip(out.slice(-TAIL * LINE_MAX));
}

/** The last lines of the container before the last replacement, as kept when it was removed; undefined: none. */
export async function previousContainerLogs(
  ctx: DashboardContext,
  id: string,
): Promise<{ removedAt: string; reason: string; text: string } | undefined> {
  const log = await ctx.engine.stores.previousLogs.read(id).catch(() => undefined);
  if (!log) return undefined;
  const text = log.lines
    .slice(-TAIL)
    .map((l) => l.text)
    .join('\n');
  return { removedAt: log.removedAt, reason: log.reason, text: clip(text) };
}

/**
 * Streams new output of the resource's container into an open event stream as `log` events (one per line), across
 * replacements, until `signal` aborts (the page went away). Shares the page's one /live connection.
 */
export async function followLogs(
  ctx: DashboardContext,
  res: ServerResponse,
  id: string,
  signal: AbortSignal,
): Promise<void> {
  const send = (chunk: string) => {
    for (const line of clip(chunk).split('\n')) if (line) res.write(`event: log\ndata: ${line}\n\n`);
  };
  try {
    await resourceLogs(ctx.engine, id, { follow: true, tail: 0, signal }, { stdout: send, stderr: send });
  } catch (err) {
    if (!signal.aborted)
      res.write(`event: log\ndata: (logs ended: ${(err as Error).message.replace(/\n/g, ' ')})\n\n`);
  }
}
