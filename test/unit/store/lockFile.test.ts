// Lock files: never two holders, an unreadable lock is busy, a dead (or reused) pid is stale, takeover is
// race-free, release removes only the owner's own lock.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { acquireApplyLock, LockBusyError } from '../../../src/apply/lock.js';
import {
  identityOf,
  type LockRecord,
  ownerIsDead,
  processGone,
  processStartTime,
  selfIdentity,
  tryLockFile,
} from '../../../src/store/lockFile.js';

const CONTENDER = join(import.meta.dirname, 'fixtures/lockContender.ts');

/** Runs a command to its end and returns its pid: a pid that is surely dead afterwards. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('true');
    child.once('error', reject);
    child.once('exit', () => resolve(child.pid ?? 0));
  });
}

function record(r: Partial<LockRecord> & { pid: number }): string {
  return JSON.stringify({ token: 'a1b2c3d4e5f60718', since: '2026-01-01T00:00:00.000Z', ...r });
}

/** Checks a trace of enter/leave lines: each enter follows the previous holder's leave. */
function assertNeverTwoHolders(trace: string): number {
  let holder: string | undefined;
  let enters = 0;
  for (const line of trace.split('\n').filter(Boolean)) {
    const [what, pid, token] = line.split(' ');
    if (what === 'enter') {
      assert.equal(holder, undefined, `${pid} entered while ${holder} held the lock:\n${trace}`);
      holder = `${pid} ${token}`;
      enters++;
    } else {
      assert.equal(`${pid} ${token}`, holder, `${pid} left a lock it did not hold:\n${trace}`);
      holder = undefined;
    }
  }
  return enters;
}

describe('lock files', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hiy-lock-'));
  after(() => rm(root, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => join(root, `case-${++n}`, 'apply.lock');

  it('one holder at a time; released, it can be taken again', async () => {
    const path = fresh();
    const a = await tryLockFile(path);
    assert.ok(a.held);
    const b = await tryLockFile(path);
    assert.equal(b.held, undefined);
    assert.equal(b.held ? undefined : b.holder?.pid, process.pid);
    await a.held.release();
    assert.equal(existsSync(path), false);
    const c = await tryLockFile(path);
    assert.ok(c.held);
    await c.held.release();
  });

  it('many contenders at once in one process: exactly one wins', async () => {
    const path = fresh();
    const attempts = await Promise.all(Array.from({ length: 20 }, () => tryLockFile(path)));
    assert.equal(attempts.filter((a) => a.held).length, 1);
    for (const a of attempts) await a.held?.release();
  });

  it('records pid, start time and boot; the file never appears without its content', async () => {
    const path = fresh();
    const a = await tryLockFile(path, { purpose: 'test' });
    assert.ok(a.held);
    const on = JSON.parse(await readFile(path, 'utf8')) as LockRecord;
    assert.equal(on.pid, process.pid);
    assert.equal(on.start, processStartTime('self'));
    assert.equal(on.boot, selfIdentity().boot);
    assert.equal(on.token, a.held.record.token);
    assert.deepEqual(on.meta, { purpose: 'test' });
    await a.held.release();
    // No temporary record or claim is left next to the lock.
    assert.deepEqual(await readdir(join(path, '..')), []);
  });

  it('an empty or unreadable lock is busy, not stale, and is left alone', async () => {
    for (const content of ['', '{"pid":', 'garbage']) {
      const path = fresh();
      await acquireApplyLock(join(path, '..')).then((l) => l.release()); // creates the directory
      await writeFile(path, content);
      const a = await tryLockFile(path);
      assert.equal(a.held, undefined, `took over a lock holding ${JSON.stringify(content)}`);
      assert.equal(await readFile(path, 'utf8'), content);
      await assert.rejects(acquireApplyLock(join(path, '..')), (err: unknown) => {
        assert.ok(err instanceof LockBusyError);
        assert.equal(err.code, 'LOCKED');
        assert.match(err.message, /held but unreadable; if no hiy runs on this box, remove it/);
        return true;
      });
    }
  });

  it('a bare pid (how older HIY wrote job locks): stale when the pid is dead, busy while it lives', async () => {
    const dead = fresh();
    await acquireApplyLock(join(dead, '..')).then((l) => l.release());
    await writeFile(dead, String(await deadPid()));
    const taken = await tryLockFile(dead);
    assert.ok(taken.held, 'the dead pid’s lock is taken over');
    await taken.held.release();
    const live = fresh();
    await acquireApplyLock(join(live, '..')).then((l) => l.release());
    await writeFile(live, String(process.ppid));
    const busy = await tryLockFile(live);
    assert.equal(busy.held, undefined);
    assert.equal(busy.holder?.pid, process.ppid);
  });

  it('a lock of a dead pid is stale and taken over', async () => {
    const path = fresh();
    const pid = await deadPid();
    await acquireApplyLock(join(path, '..')).then((l) => l.release());
    await writeFile(path, record({ pid, start: '1', boot: selfIdentity().boot }));
    const lock = await acquireApplyLock(join(path, '..'));
    assert.deepEqual(lock.tookOver, { pid, since: '2026-01-01T00:00:00.000Z' });
    await lock.release();
  });

  it('a live pid that started at another time is a reused pid: stale; the same start time is busy', async () => {
    const child = spawn('sleep', ['30']);
    try {
      const pid = child.pid ?? 0;
      const start = processStartTime(pid);
      assert.ok(start, 'the start time of a live process is readable');
      const boot = selfIdentity().boot;
      assert.equal(ownerIsDead({ pid, start, boot, token: 'x', since: '' }), false);
      assert.equal(ownerIsDead({ pid, start: `${Number(start) - 1}`, boot, token: 'x', since: '' }), true);
      assert.equal(ownerIsDead({ pid, start, boot: 'another-boot', token: 'x', since: '' }), true);
      // A lock of an older HIY (no start time) is busy while its pid lives.
      assert.equal(ownerIsDead({ pid, token: 'x', since: '' }), false);

      const path = fresh();
      await acquireApplyLock(join(path, '..')).then((l) => l.release());
      await writeFile(path, record({ pid, start, boot }));
      await assert.rejects(acquireApplyLock(join(path, '..')), LockBusyError);
      await writeFile(path, record({ pid, start: `${Number(start) - 1}`, boot }));
      const lock = await acquireApplyLock(join(path, '..'));
      assert.equal(lock.tookOver?.pid, pid);
      await lock.release();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('records that are not locks (build tickets, pending pushes, one-offs) name a process the same way', async () => {
    const child = spawn('sleep', ['30']);
    try {
      const me = identityOf(child.pid ?? 0);
      assert.equal(me.start, processStartTime(child.pid ?? 0));
      assert.equal(me.boot, selfIdentity().boot);
      assert.equal(processGone(me), false);
      assert.equal(processGone({ ...me, start: `${Number(me.start) - 1}` }), true, 'a reused pid');
      assert.equal(processGone({ ...me, boot: 'another-boot' }), true, 'a record from before a reboot');
      assert.equal(
        processGone({ pid: child.pid ?? 0 }),
        false,
        'an older record: its live pid is all it has',
      );
      assert.equal(processGone({ pid: await deadPid() }), true);
      assert.equal(processGone(selfIdentity()), false, 'this very process');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('contenders finding the same stale lock: exactly one takes it over', async () => {
    for (let round = 0; round < 5; round++) {
      const path = fresh();
      await acquireApplyLock(join(path, '..')).then((l) => l.release());
      await writeFile(path, record({ pid: await deadPid(), token: `dead${round}beef0000` }));
      const attempts = await Promise.all(Array.from({ length: 12 }, () => tryLockFile(path)));
      assert.equal(attempts.filter((a) => a.held).length, 1, `round ${round}`);
      for (const a of attempts) await a.held?.release();
      assert.deepEqual(await readdir(join(path, '..')), [], 'no claim or temporary file is left');
    }
  });

  it('a dead contender’s takeover claim does not block the takeover for ever', async () => {
    const path = fresh();
    await acquireApplyLock(join(path, '..')).then((l) => l.release());
    const stale = 'feedface00000001';
    await writeFile(path, record({ pid: await deadPid(), token: stale }));
    await writeFile(`${path}.takeover-${stale}`, record({ pid: await deadPid(), token: 'cafe000000000002' }));
    const lock = await acquireApplyLock(join(path, '..'));
    assert.equal(typeof lock.tookOver?.pid, 'number');
    await lock.release();
    assert.deepEqual(await readdir(join(path, '..')), []);
  });

  it('release removes only the lock it holds, never one taken over meanwhile', async () => {
    const path = fresh();
    const a = await tryLockFile(path);
    assert.ok(a.held);
    const other = record({ pid: process.pid + 1, token: '0123456789abcdef' });
    await writeFile(path, other);
    await a.held.release();
    assert.equal(await readFile(path, 'utf8'), other);
  });

  it('processes contending, some dying while they hold it: never two holders', async () => {
    const path = fresh();
    await acquireApplyLock(join(path, '..')).then((l) => l.release());
    const traceFile = join(root, 'trace');
    await writeFile(traceFile, '');
    const workers = Array.from(
      { length: 5 },
      (_, i) =>
        new Promise<number | null>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', CONTENDER, path, traceFile, '12', i < 2 ? 'crash' : 'release'],
            { stdio: ['ignore', 'inherit', 'inherit'] },
          );
          child.once('error', reject);
          child.once('exit', resolve);
        }),
    );
    assert.deepEqual(await Promise.all(workers), [0, 0, 0, 0, 0]);
    assert.equal(assertNeverTwoHolders(await readFile(traceFile, 'utf8')), 60);
  });
});
