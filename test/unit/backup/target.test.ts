// Backup tags written for each volume and read back (restic snapshots HIY did not make are ignored); the target.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backupEntries, backupTags, parseBackupTags, resticTarget } from '../../../src/backup/target.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { BackupResource } from '../../../src/model/resources.js';

test('tags round-trip, and a comma never reaches restic', () => {
  const t = {
    instance: 'default',
    resource: 'port/db',
    volume: 'hiy-db-data',
    snapshot: '20261122T021500Z-1a2b3c',
    dataVersion: 3,
    image: 'localhost/hiy-ports/postgres:15.0.0',
    stateCommit: 'abc123',
  };
  const tags = backupTags(t);
  assert.deepEqual(parseBackupTags(tags), t);
  assert.ok(!backupTags({ ...t, image: 'a,b' }).some((x) => x.includes(',')));
  assert.equal(parseBackupTags(['hiy.resource=port/db']), undefined);
});

test('entries: HIY backups only, newest first', () => {
  const tags = backupTags({ instance: 'i', resource: 'port/db', volume: 'v', snapshot: 's' });
  const list = [
    { id: 'a1', shortId: 'a', time: '2026-01-01T00:00:00Z', hostname: 'h', paths: ['/p'], tags },
    { id: 'b1', shortId: 'b', time: '2026-01-02T00:00:00Z', hostname: 'h', paths: ['/p'], tags },
    { id: 'c1', shortId: 'c', time: '2026-01-03T00:00:00Z', hostname: 'h', paths: ['/p'], tags: ['other'] },
  ];
  assert.deepEqual(
    backupEntries('offsite', list).map((e) => [e.id, e.backup, e.path]),
    [
      ['b1', 'offsite', '/p'],
      ['a1', 'offsite', '/p'],
    ],
  );
});

test('a rest: repository gets the login from its secret, percent-encoded; the password is masked as written and encoded', async () => {
  const secrets: Record<string, string> = { pw: 'restic-pw', login: 'hiy:p@ss word' };
  const engine = { stores: { secrets: { value: async (n: string) => secrets[n] } } } as unknown as Engine;
  const backup = (repository: string) =>
    ({
      kind: 'Backup',
      metadata: { name: 'offsite' },
      spec: { repository, passwordSecret: 'pw', rest: { credentialsSecret: 'login' } },
    }) as unknown as BackupResource;
  const t = await resticTarget(engine, backup('rest:https://nas.lan:8000/hiy'));
  assert.equal(t.repository, 'rest:https://hiy:p%40ss%20word@nas.lan:8000/hiy');
  assert.deepEqual(t.hidden, ['p@ss word', 'p%40ss%20word']);
  secrets.login = 'no-colon';
  await assert.rejects(resticTarget(engine, backup('rest:https://nas.lan/hiy')), /must hold USER:PASSWORD/);
});

test("the archive's sha256 travels as a tag; anything else in its place is not read back", () => {
  const base = { instance: 'i', resource: 'port/db', volume: 'v', snapshot: 's' };
  const sha256 = 'ab'.repeat(32);
  assert.equal(parseBackupTags(backupTags({ ...base, sha256 }))?.sha256, sha256);
  assert.ok(!backupTags({ ...base, sha256: 'not-a-digest' }).some((t) => t.startsWith('hiy.sha256=')));
  assert.equal(parseBackupTags([...backupTags(base), 'hiy.sha256=zz'])?.sha256, undefined);
});
