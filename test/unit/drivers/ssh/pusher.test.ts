// Whether a pusher is still connected is read from /proc: its stat lines, whose process name may hold anything.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProcStat, stillRunning } from '../../../../src/drivers/ssh/pusher.js';

describe('pusher processes', () => {
  it('reads pid, parent, name and start time from a stat line whose name holds spaces and parentheses', () => {
    const line = '4242 (sshd: hiy (x)) S 4200 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0';
    assert.deepEqual(parseProcStat(4242, line), {
      pid: 4242,
      ppid: 4200,
      comm: 'sshd: hiy (x)',
      start: '987654',
    });
    assert.equal(parseProcStat(1, 'garbage'), undefined);
  });

  it('a process with another start time than recorded is not the one that was watched', () => {
    assert.equal(stillRunning({ pid: process.pid, start: 'not-a-start-time' }), false);
    assert.equal(stillRunning({ pid: 2 ** 22 + 7, start: '1' }), false);
  });
});
