// Pending pushes: a record counts while its git-receive-pack lives; a finished or reused pid drops it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pendingPushOverrides, recordPendingPush } from '../../../src/desired/pendingPushes.js';

describe('pending pushes', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'hiy-pushes-'));
  after(() => rm(dataDir, { recursive: true, force: true }));
  const push = (pid: number) => ({ gitDir: '/srv/site.git', branch: 'main', commit: 'c'.repeat(40), pid });

  it('counts while receive-pack lives, and not once it ended', async () => {
    const receivePack = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await recordPendingPush(dataDir, push(receivePack.pid!));
      assert.deepEqual([...(await pendingPushOverrides(dataDir)).values()], ['c'.repeat(40)]);
      receivePack.kill();
      await once(receivePack, 'exit');
      assert.equal((await pendingPushOverrides(dataDir)).size, 0);
      assert.deepEqual(await readdir(join(dataDir, 'pushes')), [], 'the finished push’s record is removed');
    } finally {
      receivePack.kill();
    }
  });

  it('a live pid that started after the push is another process: the record no longer counts', async () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await recordPendingPush(dataDir, push(other.pid!));
      const [name] = await readdir(join(dataDir, 'pushes'));
      const file = join(dataDir, 'pushes', name!);
      const rec = JSON.parse(await readFile(file, 'utf8'));
      assert.ok(rec.start, 'the record carries the start time of receive-pack');
      await writeFile(file, JSON.stringify({ ...rec, start: String(Number(rec.start) - 1) }));
      assert.equal((await pendingPushOverrides(dataDir)).size, 0);
    } finally {
      other.kill();
    }
  });
});
