// The box's figures: MemAvailable parsed, and a real read of this machine's disk, memory and load.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { parseMemAvailable, readBoxStats } from '../../../../src/drivers/host/boxStats.js';

describe('box stats', () => {
  it('reads MemAvailable in bytes, undefined without it', () => {
    assert.equal(parseMemAvailable('MemTotal:  1000 kB\nMemAvailable:     2048 kB\n'), 2048 * 1024);
    assert.equal(parseMemAvailable('MemTotal: 1 kB\n'), undefined);
  });

  it("reads the data directory's file system, memory and load", async () => {
    const b = await readBoxStats(tmpdir());
    assert.ok(b.disk.totalBytes > 0 && b.disk.usedBytes >= 0 && b.disk.freeBytes <= b.disk.totalBytes);
    assert.ok(b.memory.availableBytes > 0 && b.memory.availableBytes <= b.memory.totalBytes);
    assert.equal(b.load.length, 3);
    assert.ok(b.cores >= 1);
  });
});
