// Backup ages and staleness from the backup history: pure, with a fixed clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ageText, backupAges, cronPeriodMs } from '../../../src/engine/backupAges.js';
import type { BackupResource } from '../../../src/model/resources.js';
import { backupCrons } from '../../../src/reconcile/backupSchedule.js';
import type { BackupMark } from '../../../src/store/backupHistory.js';

const backup = (spec: Partial<BackupResource['spec']> = {}): BackupResource => ({
  apiVersion: 'hiy/v1',
  kind: 'Backup',
  metadata: { name: 'offsite' },
  spec: { repository: '/mnt/b', passwordSecret: 'pw', schedule: '0 3 * * *', ...spec },
});
const now = new Date('2026-12-07T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

test('the period of a cron is the gap between its next two ticks', () => {
  assert.equal(cronPeriodMs('0 3 * * *', now), 24 * 3_600_000);
  assert.equal(cronPeriodMs('*/30 * * * * *', now), 30_000);
  assert.equal(cronPeriodMs('not a cron', now), undefined);
  assert.equal(ageText(undefined, now), 'never');
  assert.equal(ageText(hoursAgo(3), now), '3 h ago');
});

test('a daily backup 30 h old is fresh, 49 h old is stale, with the last error said', () => {
  const marks: BackupMark[] = [
    { backup: 'offsite', resource: 'port/db', what: 'backup', lastSuccessAt: hoursAgo(30) },
    { backup: 'offsite', resource: 'port/db', what: 'drill', lastSuccessAt: hoursAgo(5) },
  ];
  const fresh = backupAges({
    backups: [backup()],
    marks,
    resources: ['port/db'],
    withVolumes: ['port/db'],
    now,
  });
  assert.deepEqual(fresh.get('port/db'), {
    backups: ['offsite'],
    lastBackupAt: hoursAgo(30),
    lastDrillPassedAt: hoursAgo(5),
  });
  marks[0] = {
    ...marks[0]!,
    lastSuccessAt: hoursAgo(49),
    lastFailureAt: hoursAgo(1),
    lastError: 'unreachable',
  };
  const stale = backupAges({
    backups: [backup()],
    marks,
    resources: ['port/db'],
    withVolumes: ['port/db'],
    now,
  });
  const s = stale.get('port/db')!.stale!;
  assert.match(
    s.message,
    /the last backup to offsite is 2 days old \(schedule "0 3 \* \* \*": every 24 h\); last error: unreachable/,
  );
  assert.equal(s.since, hoursAgo(1));
});

test('never backed up: stale only once the daemon has run the schedule for twice its period', () => {
  const since = (h: number): BackupMark[] => [
    { backup: 'offsite', resource: '', what: 'schedule', since: hoursAgo(h) },
  ];
  const at = (h: number) =>
    backupAges({
      backups: [backup()],
      marks: since(h),
      resources: ['port/db', 'app/web'],
      withVolumes: ['port/db'],
      now,
    });
  assert.equal(at(10).get('port/db')?.stale, undefined);
  assert.match(at(50).get('port/db')!.stale!.message, /no backup to offsite has succeeded in 2 days/);
  assert.equal(at(50).has('app/web'), false, 'a resource without volumes is not covered by a Backup of all');
  assert.equal(
    backupAges({ backups: [], marks: since(50), resources: ['port/db'], withVolumes: ['port/db'], now }).size,
    0,
  );
});

test('a Backup naming resources covers only those; one without a schedule is never stale', () => {
  const b = backup({ resources: ['port/mail'], schedule: undefined, drill: { schedule: '0 4 * * 0' } });
  const ages = backupAges({
    backups: [b],
    marks: [],
    resources: ['port/mail', 'port/db'],
    withVolumes: ['port/db'],
    now,
  });
  assert.deepEqual([...ages.keys()], ['port/mail']);
  assert.equal(ages.get('port/mail')?.stale, undefined);
  assert.equal(ages.get('port/mail')?.drillStale, undefined, 'no drill history and no schedule watched yet');
});

test('the crons of the Backups: backup, check and drill', () => {
  const crons = backupCrons([
    backup({ check: { schedule: '0 5 * * 0', readDataSubset: '5%' }, drill: { schedule: '0 4 * * 0' } }),
  ]);
  assert.deepEqual(crons, [
    { backup: 'offsite', task: 'backup', schedule: '0 3 * * *' },
    { backup: 'offsite', task: 'check', schedule: '0 5 * * 0' },
    { backup: 'offsite', task: 'drill', schedule: '0 4 * * 0' },
  ]);
});
