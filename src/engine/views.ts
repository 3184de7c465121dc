// How an operation is shown while it runs: one view interface, rendered for a human (a terminal, or git's
// `remote:` lines with their prefixes), for the log (pino), or not at all (--json prints the outcome once).
import type { Logger } from 'pino';
import type { ApplyEvent } from '../apply/events.js';
import type { LockBusyError } from '../apply/lock.js';
import type { Recovery } from '../apply/recover.js';
import type { Planned } from './planning.js';

/** What an operation tells its view, in the order it happens. Every method is optional. */
export interface OperationView {
  /** Another run holds the apply lock; told once when the wait starts. */
  lockWait?(busy: LockBusyError): void;
  /** What crash recovery did once the lock was taken (told after every recovery, even an empty one). */
  recovered?(recovery: Recovery): void;
  /** The plan, before it is judged (mass delete, capacity) and applied. */
  planned?(planned: Planned): void;
  /** One event of the apply. */
  applyEvent?(event: ApplyEvent): void;
}

/** The kinds of line a human view prints; each style gives them a prefix (null: not shown). */
export type ProgressLevel = 'phase' | 'line' | 'output' | 'stage' | 'fail';

/** One line for people about an apply event, or undefined for events people are not shown. */
export function progressLine(e: ApplyEvent): { level: ProgressLevel; text: string } | undefined {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  switch (e.type) {
    case 'phase':
      return { level: 'phase', text: `${e.name} (${e.actions})` };
    case 'action.started':
      return {
        level: 'line',
        text: `${e.action.address}: ${e.action.change === 'delete' ? 'destroying' : 'applying'}…`,
      };
    case 'action.progress':
      return { level: 'line', text: `${e.action.address}: ${e.message}` };
    case 'action.output':
      return { level: 'output', text: e.line };
    case 'build.step':
      return { level: e.level, text: e.text };
    case 'action.finished':
      return {
        level: 'line',
        text: `${e.action.address}: done in ${seconds(e.ms)}${e.note ? ` (${e.note})` : ''}`,
      };
    case 'action.failed':
      return { level: 'fail', text: `${e.action.address}: FAILED after ${seconds(e.ms)}: ${e.error}` };
    case 'caddy.loaded':
      return { level: 'line', text: `caddy: loaded ${e.routes} route(s) in one change` };
    default:
      return undefined;
  }
}

/** How a human view lays out its lines: a prefix per level (null hides the level). */
export type HumanStyle = Record<ProgressLevel, string | null>;

/** A shell's terminal: phases as `== name (n)` headers, command output indented with a bar. */
export const TERMINAL_STYLE: HumanStyle = { phase: '\n== ', line: '', output: '  │ ', stage: '', fail: '' };

/** git's `remote:` lines (Heroku's layout): `----->` stages, indented detail, ` !` failures; no phase headers. */
export const GIT_STYLE: HumanStyle = {
  phase: null,
  line: '       ',
  output: '       │ ',
  stage: '-----> ',
  fail: ' !     ',
};

/** Writes one line in a style; multi-line text gets the prefix on every line. */
export function styledLine(style: HumanStyle, level: ProgressLevel, text: string): string | undefined {
  const prefix = style[level];
  if (prefix === null) return undefined;
  if (level === 'phase') return `${prefix}${text}\n`;
  return `${text
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n')}\n`;
}

/** The view for people: apply progress as lines in `style`, and what crash recovery did. */
export function humanView(write: (text: string) => void, style: HumanStyle = TERMINAL_STYLE): OperationView {
  const say = (level: ProgressLevel, text: string) => {
    const line = styledLine(style, level, text);
    if (line !== undefined) write(line);
  };
  return {
    recovered(r) {
      if (r.steps.length === 0 && r.discardedSnapshots.length === 0) return;
      say('line', 'The last run was interrupted; recovering first:');
      for (const s of r.steps) say('line', `  ${s}`);
      if (r.discardedSnapshots.length)
        say('line', `  discarded ${r.discardedSnapshots.length} incomplete snapshot(s)`);
    },
    applyEvent(e) {
      const line = progressLine(e);
      if (line) say(line.level, line.text);
    },
  };
}

/** The view for the log (the daemon): actions and Caddy loads as structured lines. */
export function logView(log: Logger): OperationView {
  return {
    applyEvent(e) {
      if (e.type === 'action.started') log.info({ address: e.action.address }, 'action started');
      else if (e.type === 'action.finished')
        log.info({ address: e.action.address, ms: e.ms, note: e.note }, 'action finished');
      else if (e.type === 'action.failed')
        log.warn({ address: e.action.address, ms: e.ms, error: e.error }, 'action failed');
      else if (e.type === 'caddy.loaded') log.info({ routes: e.routes, ms: e.ms }, 'caddy loaded');
    },
  };
}

/** The view of `--json`: nothing while running; the command prints its outcome once, as JSON. */
export const JSON_VIEW: OperationView = {};

/** A view with some of its methods replaced or added (a caller's own line when the plan is empty…). */
export function withView(base: OperationView, extra: OperationView): OperationView {
  return { ...base, ...extra };
}
