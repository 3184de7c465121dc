// The journal's file format: last record per step wins, done steps are closed, a torn last line is ignored.
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Journal } from '../../../src/store/journal.js';

describe('journal', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hiy-journal-'));
  after(() => rm(dir, { recursive: true, force: true }));

  it('reports the open steps by their last phase', async () => {
    const j = new Journal(dir);
    const a = j.nextId('replace');
    const b = j.nextId('run');
    assert.notEqual(a, b);
    await Promise.all([
      j.write({ id: a, kind: 'replace', final: 'x', parked: 'x_prev', phase: 'stopping' }),
      j.write({ id: b, kind: 'run', name: 'y', phase: 'running' }),
      j.write({ id: a, kind: 'replace', final: 'x', parked: 'x_prev', phase: 'parked', snapshots: [] }),
      j.write({ id: b, kind: 'run', name: 'y', phase: 'done' }),
    ]);
    // A record cut short by a kill -9 is ignored.
    await appendFile(j.path, '{"id":"torn","kind":"run","na');
    const open = await j.open();
    assert.deepEqual(
      open.map((e) => [e.id, e.phase]),
      [[a, 'parked']],
    );
    await j.clear();
    assert.deepEqual(await j.open(), []);
  });
});
