// The operation views: one text per apply event, laid out for a terminal or for git's `remote:` lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApplyEvent } from '../../../src/apply/events.js';
import { GIT_STYLE, humanView, TERMINAL_STYLE } from '../../../src/engine/views.js';
import type { Action } from '../../../src/plan/types.js';

const action = { address: 'container.create/port/web', change: 'create' } as unknown as Action;
const events: ApplyEvent[] = [
  { type: 'phase', name: 'start', actions: 1 },
  { type: 'action.started', action },
  { type: 'action.output', action, line: 'hello' },
  { type: 'build.step', action, level: 'stage', text: 'Step 1/2' },
  { type: 'action.failed', action, ms: 1500, error: 'boom\nsecond line' },
  { type: 'caddy.loaded', routes: 2, ms: 10 },
];

function render(style: typeof GIT_STYLE): string {
  let out = '';
  const view = humanView((t) => {
    out += t;
  }, style);
  for (const e of events) view.applyEvent?.(e);
  view.recovered?.({ steps: ['removed hiy-x-web-next'], discardedSnapshots: [] });
  view.recovered?.({ steps: [], discardedSnapshots: [] });
  return out;
}

describe('operation views', () => {
  it('a terminal: phase headers, output under a bar, failures as lines', () => {
    assert.equal(
      render(TERMINAL_STYLE),
      [
        '',
        '== start (1)',
        'container.create/port/web: applying…',
        '  │ hello',
        'Step 1/2',
        'container.create/port/web: FAILED after 1.5s: boom',
        'second line',
        'caddy: loaded 2 route(s) in one change',
        'The last run was interrupted; recovering first:',
        '  removed hiy-x-web-next',
        '',
      ].join('\n'),
    );
  });

  it("git's remote lines: the same texts with git's prefixes, no phase headers", () => {
    assert.equal(
      render(GIT_STYLE),
      [
        '       container.create/port/web: applying…',
        '       │ hello',
        '-----> Step 1/2',
        ' !     container.create/port/web: FAILED after 1.5s: boom',
        ' !     second line',
        '       caddy: loaded 2 route(s) in one change',
        '       The last run was interrupted; recovering first:',
        '         removed hiy-x-web-next',
        '',
      ].join('\n'),
    );
  });
});
