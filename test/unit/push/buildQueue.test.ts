// The build queue's decision: first come first served, N slots, a newer push to the same branch supersedes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideTurn, type Ticket } from '../../../src/push/buildQueue.js';

function t(id: string, repo: string, branch = 'main'): Ticket {
  return { id, pid: 1, repo, branch, commit: `${id}c`, user: 'u' };
}

describe('decideTurn', () => {
  it('lets the oldest go and makes the others wait their turn', () => {
    const all = [t('3', 'c'), t('1', 'a'), t('2', 'b')];
    assert.deepEqual(decideTurn(all, all[1]!, 1), { kind: 'go' });
    assert.deepEqual(decideTurn(all, all[2]!, 1), { kind: 'wait', ahead: 1 });
    assert.deepEqual(decideTurn(all, all[0]!, 1), { kind: 'wait', ahead: 2 });
    assert.deepEqual(decideTurn(all, all[2]!, 2), { kind: 'go' });
  });

  it('supersedes a queued push when a newer one to the same repository and branch arrives', () => {
    const all = [t('1', 'a'), t('2', 'a', 'dev'), t('3', 'a'), t('4', 'a')];
    const turn = decideTurn(all, all[0]!, 1);
    assert.equal(turn.kind, 'superseded');
    assert.equal(turn.kind === 'superseded' && turn.by.id, '4');
    assert.deepEqual(decideTurn(all, all[1]!, 1), { kind: 'wait', ahead: 1 });
    assert.deepEqual(decideTurn(all, all[3]!, 1), { kind: 'wait', ahead: 3 });
  });
});
