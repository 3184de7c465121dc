// `hiy events --follow` prints what is in the log, then what is appended, until told to stop.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventsCommand } from '../../../../src/cli/commands/events.js';
import type { CliDeps } from '../../../../src/cli/context.js';
import type { Settings } from '../../../../src/model/settings.js';
import { EventLog } from '../../../../src/store/events.js';
import { waitFor } from '../../../support/ports.js';

describe('hiy events --follow', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'hiy-events-'));
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('streams appended events as JSON lines and stops when asked', async () => {
    const log = new EventLog(dataDir);
    await log.append([{ type: 'reconcile.started', message: 'one' }]);
    let out = '';
    const deps = {
      io: { out: (t: string) => (out += t), err: () => undefined, env: {} },
      makeEngine: () => {
        throw new Error('not needed');
      },
    } as unknown as CliDeps;
    let stop!: () => void;
    const until = new Promise<void>((r) => {
      stop = r;
    });
    const running = eventsCommand(deps, { dataDir } as Settings, {
      json: true,
      follow: true,
      until,
      pollMs: 20,
    });
    // Ready once it printed what was there: an event appended from then on is followed.
    await waitFor(() => out.includes('"one"'), { timeoutMs: 10_000, intervalMs: 10, what: 'the backlog' });
    await log.append([{ type: 'reconcile.finished', message: 'two' }]);
    await waitFor(() => out.includes('"two"'), { timeoutMs: 10_000, intervalMs: 10, what: 'the new event' });
    stop();
    assert.equal(await running, 0);
    assert.deepEqual(
      out
        .trim()
        .split('\n')
        .map((l) => [JSON.parse(l).seq, JSON.parse(l).message]),
      [
        [1, 'one'],
        [2, 'two'],
      ],
    );
  });

  it('--since N with nothing newer says so, not "No events yet"', async () => {
    let out = '';
    const deps = {
      io: { out: (t: string) => (out += t), err: () => undefined, env: {} },
      makeEngine: () => {
        throw new Error('not needed');
      },
    } as unknown as CliDeps;
    assert.equal(
      await eventsCommand(deps, { dataDir } as Settings, { json: false, follow: false, since: 2 }),
      0,
    );
    assert.match(out, /^No events after #2 \(/);
  });
});
