// Listings of a Backup's repository: volumes, hosted git repositories and HIY's own state, and what a caller sees.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boxStateEntries, listingOf, visibleListing } from '../../../src/backup/list.js';
import { repoEntries } from '../../../src/backup/repos.js';
import { backupEntries, backupTags } from '../../../src/backup/target.js';
import type { ResticSnapshot } from '../../../src/drivers/restic/types.js';

const snap = (id: string, time: string, tags: string[]): ResticSnapshot => ({
  id: `${id}0000`,
  shortId: id,
  time,
  hostname: 'hiy-i',
  paths: ['/p'],
  tags,
});

const LIST = [
  snap(
    'v1',
    '2026-01-01T00:00:00Z',
    backupTags({ instance: 'i', resource: 'port/db', volume: 'db', snapshot: 's1' }),
  ),
  snap(
    'v2',
    '2026-01-02T00:00:00Z',
    backupTags({ instance: 'i', resource: 'app/blog', volume: 'bv', snapshot: 's2' }),
  ),
  snap('r1', '2026-01-01T00:00:00Z', ['hiy.instance=i', 'hiy.repo=blog']),
  snap('r2', '2026-01-01T00:00:00Z', ['hiy.instance=i', 'hiy.repo=shop']),
  snap('b1', '2026-01-01T00:00:00Z', ['hiy.instance=i', 'hiy.box-state=1']),
  snap('b2', '2026-01-03T00:00:00Z', ['hiy.instance=i', 'hiy.box-state=1']),
];
const listing = {
  backups: backupEntries('offsite', LIST),
  repositories: repoEntries(LIST),
  boxState: boxStateEntries(LIST),
};

test('one listing holds the volumes, the hosted repositories and the box state, newest first', () => {
  assert.deepEqual(
    listing.backups.map((e) => e.shortId),
    ['v2', 'v1'],
  );
  assert.deepEqual(listing.repositories.map((e) => e.repo).sort(), ['blog', 'shop']);
  assert.deepEqual(
    listing.boxState.map((e) => e.shortId),
    ['b2', 'b1'],
  );
});

test("a caller sees the backups and App repositories it may read; HIY's own state only with read on *", () => {
  const blogOnly = visibleListing(listing, (r) => r === 'app/blog');
  assert.deepEqual(
    blogOnly.backups.map((e) => e.resource),
    ['app/blog'],
  );
  assert.deepEqual(
    blogOnly.repositories.map((e) => e.repo),
    ['blog'],
  );
  assert.deepEqual(blogOnly.boxState, []);
  const admin = visibleListing(listing, () => true);
  assert.equal(admin.boxState.length, 2);
});

test('one resource: its volumes and, for an App, its repository; never the box state', () => {
  for (const name of ['blog', 'app/blog']) {
    const l = listingOf(listing, name);
    assert.deepEqual(
      l.backups.map((e) => e.volume),
      ['bv'],
    );
    assert.deepEqual(
      l.repositories.map((e) => e.repo),
      ['blog'],
    );
    assert.deepEqual(l.boxState, []);
  }
  const port = listingOf(listing, 'port/db');
  assert.deepEqual(
    port.backups.map((e) => e.volume),
    ['db'],
  );
  assert.deepEqual(port.repositories, []);
});
