// The change check of backup now: a volume is not uploaded again only when its last backup holds the same data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unchangedSince } from '../../../src/backup/backupNow.js';
import { backupEntries, backupTags } from '../../../src/backup/target.js';
import type { SnapshotManifest } from '../../../src/snapshots/snapshot.js';

const SHA = 'a'.repeat(64);
const snapshot: SnapshotManifest = {
  id: '20261202T000000Z-bbbbbb',
  volume: 'db',
  resource: 'port/db',
  reason: 'backup',
  dataVersion: 2,
  imageBefore: 'img:1',
  files: 3,
  bytes: 10240,
  sha256: SHA,
  createdAt: '2026-12-02T00:00:00.000Z',
};

function entries(...tags: Partial<Parameters<typeof backupTags>[0]>[]) {
  return backupEntries(
    'offsite',
    tags.map((t, i) => ({
      id: `id${i}`,
      shortId: `id${i}`,
      // The first given is the newest.
      time: `2026-12-0${9 - i}T00:00:00Z`,
      hostname: 'h',
      paths: ['/p'],
      tags: backupTags({ instance: 'i', resource: 'port/db', volume: 'db', snapshot: 's', ...t }),
    })),
  );
}

test('the same archive, data version and image as the last backup: unchanged', () => {
  const same = { sha256: SHA, dataVersion: 2, image: 'img:1' };
  assert.equal(unchangedSince(entries(same), snapshot)?.id, 'id0');
});

test('anything else is uploaded', () => {
  const same = { sha256: SHA, dataVersion: 2, image: 'img:1' };
  assert.equal(unchangedSince([], snapshot), undefined, 'no backup yet');
  assert.equal(unchangedSince(entries({ ...same, sha256: 'b'.repeat(64) }), snapshot), undefined);
  assert.equal(unchangedSince(entries({ ...same, dataVersion: 1 }), snapshot), undefined);
  assert.equal(unchangedSince(entries({ ...same, image: 'img:2' }), snapshot), undefined);
  assert.equal(
    unchangedSince(entries({ dataVersion: 2, image: 'img:1' }), snapshot),
    undefined,
    'no digest tag',
  );
  assert.equal(
    unchangedSince(entries({ ...same, volume: 'other' }), snapshot),
    undefined,
    "another volume's backup",
  );
  // Only the newest backup of the volume counts: an older one with the same data does not.
  assert.equal(unchangedSince(entries({ ...same, sha256: 'c'.repeat(64) }, same), snapshot), undefined);
});
