// The event history file: monotonic seq, bounded by compaction, torn lines ignored, reads since a seq.
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EventLog } from '../../../src/store/events.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hiy-events-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const draft = (n: number) => ({ type: 'resource.applied' as const, resource: 'port/web', message: `m${n}` });

describe('EventLog', () => {
  it('numbers events from 1 and continues after a reopen', async () => {
    const dir = await tmp();
    const a = await new EventLog(dir).append([draft(1), draft(2)]);
    assert.deepEqual(
      a.map((e) => e.seq),
      [1, 2],
    );
    const b = await new EventLog(dir).append([draft(3)]);
    assert.equal(b[0]!.seq, 3);
    assert.deepEqual(
      (await new EventLog(dir).read({ since: 1 })).map((e) => e.message),
      ['m2', 'm3'],
    );
    assert.deepEqual(
      (await new EventLog(dir).read({ limit: 1 })).map((e) => e.seq),
      [3],
    );
  });

  it('serialises concurrent appends in one process', async () => {
    const dir = await tmp();
    const log = new EventLog(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append([draft(i)])));
    assert.deepEqual(
      (await log.read()).map((e) => e.seq),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('stays bounded and never lowers seq when compacting', async () => {
    const dir = await tmp();
    const log = new EventLog(dir, { keep: 5 });
    for (let i = 0; i < 23; i++) await log.append([draft(i)]);
    const kept = await log.read();
    assert.ok(kept.length <= 10, `${kept.length} events kept`);
    assert.equal(kept.at(-1)!.seq, 23);
    assert.deepEqual(
      kept.map((e) => e.seq),
      kept.map((_, i) => 23 - kept.length + 1 + i),
    );
  });

  it('ignores a line torn by a crash and drops it at the next append', async () => {
    const dir = await tmp();
    const log = new EventLog(dir);
    await log.append([draft(1)]);
    await appendFile(log.path, '{"seq":2,"type":"resource.app');
    assert.deepEqual(
      (await log.read()).map((e) => e.seq),
      [1],
    );
    const [next] = await log.append([draft(2)]);
    assert.equal(next!.seq, 2);
    const lines = (await readFile(log.path, 'utf8')).trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).seq),
      [1, 2],
    );
  });
});
