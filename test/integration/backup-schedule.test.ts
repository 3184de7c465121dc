// The daemon runs a Backup's schedules with real restic: backups, repository checks and restore drills; a wrong
// password fails loudly (events, BackupStale in hiy status) with the service untouched, and the next run retries.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import type { ControllerEvent } from '../../src/model/events.js';
import { backupsPlugin, type Daemon, startDaemon } from '../../src/reconcile/index.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

const PASSWORD = 'scheduled backups 41c9';

describe('scheduled backups in the daemon (real restic, local path)', () => {
  let h: Harness;
  let daemon: Daemon | undefined;
  let repo: string;
  const seen: ControllerEvent[] = [];
  const since = (seq: number, type: string) => seen.filter((e) => e.seq > seq && e.type === type);
  const lastSeq = () => seen.at(-1)?.seq ?? 0;
  const status = async () => {
    const r = await h.hiy(['status', '--json']);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out).resources.find((x: { id: string }) => x.id === 'port/db');
  };

  before(async () => {
    h = await startHarness({ 'db.yaml': webPort('db', 'db.test', { volume: true }) });
    repo = join(h.root, 'scheduled-repo');
    // Every 15 s: twice that without a success is stale (a run on a busy box takes several seconds). The check and
    // the drill run every 20 s.
    await h.commit({
      'backup.yaml': `apiVersion: hiy/v1
kind: Backup
metadata: {name: nightly}
spec:
  repository: ${repo}
  passwordSecret: restic-password
  schedule: "*/15 * * * * *"
  keep: {last: 3}
  check: {schedule: "*/20 * * * * *", readDataSubset: "50%"}
  drill: {schedule: "*/20 * * * * *"}
`,
    });
    await h.stores.secrets.set('restic-password', PASSWORD);
    assert.equal((await h.hiy(['apply'])).code, 0);
    await execa('podman', ['exec', `hiy-${h.instance}-db`, 'sh', '-c', 'echo kept > /data/file']);
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    daemon = await startDaemon({
      engine,
      resync: '0 0 1 1 *',
      plugins: [backupsPlugin({ staleEveryMs: 1000 })],
    });
    daemon.subscribe((e) => {
      if (e.seq > 0) seen.push(e);
    });
  });

  after(async () => {
    await daemon?.stop();
    await h?.cleanup();
  });

  it('backs up, checks and drills on schedule; hiy status shows the ages', async () => {
    await waitFor(
      () =>
        since(0, 'backup.succeeded').length > 0 &&
        since(0, 'backup.checked').length > 0 &&
        since(0, 'backup.drill.passed').length > 0,
      { timeoutMs: 180_000, intervalMs: 200, what: 'a scheduled backup, check and passing drill' },
    );
    const s = await status();
    assert.deepEqual(s.backup.backups, ['nightly']);
    assert.ok(s.backup.lastBackupAt, JSON.stringify(s.backup));
    assert.ok(s.backup.lastDrillPassedAt, JSON.stringify(s.backup));
    await waitFor(
      async () =>
        (await status()).conditions.find((c: { type: string }) => c.type === 'BackupStale')?.status ===
        'False',
      { timeoutMs: 60_000, intervalMs: 500, what: 'BackupStale=False after a successful backup' },
    );
    const human = await h.hiy(['status']);
    assert.match(human.out, /Backups .*\n.*\n\s*port\/db\s+nightly\s+\d+ (s|min|h) ago\s+\d+ (s|min|h) ago/);
    const r = await execa('restic', ['snapshots', '--json'], {
      env: { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD },
    });
    assert.ok(JSON.parse(r.stdout).length >= 1);
  });

  it('a wrong password: backup.failed each run, then BackupStale and a backup.stale event; the service serves', async () => {
    await h.stores.secrets.set('restic-password', 'not-the-key-9');
    const mark = lastSeq();
    try {
      await waitFor(() => since(mark, 'backup.failed').length >= 2, {
        timeoutMs: 120_000,
        intervalMs: 200,
        what: 'two failed scheduled backups (the next run retries)',
      });
      await waitFor(() => since(mark, 'backup.stale').length > 0, {
        timeoutMs: 120_000,
        intervalMs: 200,
        what: 'a backup.stale event',
      });
      const stale = since(mark, 'backup.stale')[0]!;
      assert.equal(stale.resource, 'port/db');
      assert.match(stale.message, /backups are stale: the last backup to nightly is/);
      assert.ok(!JSON.stringify(seen).includes('not-the-key-9'), 'no secret in any event');
      const s = await status();
      const cond = s.conditions.find((c: { type: string }) => c.type === 'BackupStale');
      assert.equal(cond.status, 'True');
      assert.match(cond.message, /the password does not open the repository/);
      assert.equal((await h.get('db.test')).status, 200);
    } finally {
      await h.stores.secrets.set('restic-password', PASSWORD);
    }
    const back = lastSeq();
    await waitFor(() => since(back, 'backup.succeeded').length > 0, {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: 'a scheduled backup succeeding again',
    });
    await waitFor(
      async () =>
        (await status()).conditions.find((c: { type: string }) => c.type === 'BackupStale')?.status ===
        'False',
      { timeoutMs: 30_000, intervalMs: 500, what: 'BackupStale to clear' },
    );
  });
});
