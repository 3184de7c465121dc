// `hiy events`: the event history of this box (applies, failures, drift corrected, snapshots), optionally live.

import type { ControllerEvent } from '../../model/events.js';
import type { Settings } from '../../model/settings.js';
import { openStores } from '../../store/index.js';
import { type CommandRun, flag, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { onTermination } from '../signals.js';

export interface EventsOptions {
  json: boolean;
  follow: boolean;
  since?: number;
  limit?: number;
  /** Ends --follow (default: SIGINT or SIGTERM). */
  until?: Promise<unknown>;
  pollMs?: number;
}

function line(e: ControllerEvent): string {
  return `#${e.seq}  ${e.at}  ${e.type.padEnd(18)}  ${e.message}\n`;
}

export async function eventsCommand(deps: CliDeps, settings: Settings, opts: EventsOptions): Promise<number> {
  const log = openStores(settings.dataDir).events;
  // Following, the version is taken before the first read: an event appended in between is seen by the next poll.
  let version = opts.follow ? await log.version() : undefined;
  const first = await log.read({ since: opts.since, limit: opts.limit });
  if (!opts.follow) {
    if (opts.json) deps.io.out(`${JSON.stringify(first, null, 2)}\n`);
    else if (first.length === 0)
      deps.io.out(
        opts.since ? `No events after #${opts.since} (${log.path}).\n` : `No events yet (${log.path}).\n`,
      );
    else for (const e of first) deps.io.out(line(e));
    return EXIT.ok;
  }
  // Following: one line per event (JSON Lines with --json), polling the log until interrupted.
  const print = (e: ControllerEvent) => deps.io.out(opts.json ? `${JSON.stringify(e)}\n` : line(e));
  for (const e of first) print(e);
  let last = first.at(-1)?.seq ?? opts.since ?? 0;
  if (first.length === 0 && opts.since === undefined) last = (await log.read()).at(-1)?.seq ?? 0;
  const stop = opts.until ? undefined : onTermination();
  const until = opts.until ?? stop!.signal;
  let ended = false;
  void until.then(() => {
    ended = true;
  });
  try {
    while (!ended) {
      await Promise.race([until, new Promise((r) => setTimeout(r, opts.pollMs ?? 300))]);
      if (ended) break;
      const v = await log.version();
      if (v === version) continue;
      version = v;
      for (const e of await log.read({ since: last })) {
        print(e);
        last = e.seq;
      }
    }
  } finally {
    stop?.dispose();
  }
  return EXIT.ok;
}

function positiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${what} must be a whole number, not ${text}`);
  return n;
}

export const run: CommandRun = (deps, settings, ctx) =>
  eventsCommand(deps, settings, {
    json: ctx.json,
    follow: flag(ctx, 'follow'),
    since: positiveInt(str(ctx, 'since'), '--since'),
    limit: positiveInt(str(ctx, 'limit'), '--limit'),
  });
