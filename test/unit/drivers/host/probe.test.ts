// The probe's parsing of /etc/subuid and /etc/subgid lines (by name or uid, several ranges, junk ignored).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSubIds } from '../../../../src/drivers/host/probe.js';

describe('parseSubIds', () => {
  it('finds the ranges of a user by name or uid and ignores others and junk', () => {
    const text = 'alice:100000:65536\nhiy:165536:65536\n994:300000:1000\nhiyx:1:2\nbroken\nhiy:x:y\n\n';
    assert.deepEqual(parseSubIds(text, 'hiy', 994), [
      { start: 165536, count: 65536 },
      { start: 300000, count: 1000 },
    ]);
    assert.deepEqual(parseSubIds(undefined, 'hiy', 994), []);
    assert.deepEqual(parseSubIds('', 'hiy', 994), []);
  });
});
