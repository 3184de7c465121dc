// Container logs on the resource page: the last lines rendered with the page, then followed live over SSE
// (across replacements: a deploy does not end the stream), through the engine's resourceLogs as `hiy logs -f`.

import type { ServerResponse } from 'node:http';
import { resourceLogs } from '../../engine/logs.js';
import { errorMessage } from '../../model/errors.js';
import type { BuildRun } from '../../store/builds.js';
import type { DashboardContext } from './context.js';
import { type Html, html } from './html.js';

/** Lines shown with the page, and the longest line kept (a page stays small). */
const TAIL = 100;
const LINE_MAX = 400;

function clip(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.length > LINE_MAX ? `${l.slice(0, LINE_MAX)}…` : l))
    .join('\n');
}

/** The last lines of the resource's container; `error` says why there are none to read (no container yet). */
export async function recentLogs(
  ctx: DashboardContext,
  id: string,
): Promise<{ text: string; error?: string }> {
  let out = '';
  try {
    const sink = (c: string) => {
      out += c;
    };
    await resourceLogs(ctx.engine, id, { tail: TAIL }, { stdout: sink, stderr: sink });
  } catch (err) {
    return { text: '', error: errorMessage(err) };
  }
  return { text: clip(out.slice(-TAIL * LINE_MAX)) };
}

/** What an empty log box says instead: why there is nothing, and where an App's build output is. */
export interface EmptyLogInput {
  id: string;
  /** Why the logs could not be read (no container yet), if so. */
  error?: string;
  /** The App's build under way, if any. */
  building?: Pick<BuildRun, 'commit' | 'state'>;
  /** The commit of the App's current release's build, if any. */
  lastBuild?: string;
}

/** The sentence shown above an empty log (hidden by the live script when a line arrives). Pure. */
export function emptyLogNote(input: EmptyLogInput): Html {
  const name = input.id.slice(input.id.indexOf('/') + 1);
  const app = input.id.startsWith('app/');
  const buildLog = (commit: string) =>
    html`its build log: <code>hiy logs --build ${name}</code> or <a href="/r/${input.id}/build/${commit}">the build page</a>`;
  const why = input.building
    ? html`Nothing here yet: ${name} is ${input.building.state === 'queued' ? 'waiting to be built' : input.building.state === 'deploying' ? 'being deployed' : 'building'}; ${buildLog(input.building.commit)}.`
    : input.error
      ? html`No container output: ${input.error}.`
      : html`Nothing printed yet: the container has written nothing to its output (stdout, stderr) since it started.`;
  const build =
    !input.building && app && input.lastBuild
      ? html` The build's output is in ${buildLog(input.lastBuild)}.`
      : '';
  return html`<p id="logs-empty" class="muted">${why}${build}</p>`;
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
      res.write(`event: log\ndata: (logs ended: ${errorMessage(err).replace(/\n/g, ' ')})\n\n`);
  }
}
