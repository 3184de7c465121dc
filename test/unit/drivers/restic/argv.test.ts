// The restic argv builders and parsers: exact argv, no secret in it, and restic 0.14's output read back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backupArgv,
  checkArgv,
  classifyFailure,
  forgetArgv,
  parseBackupSummary,
  parseForget,
  parseSnapshots,
  sftpCommandArgv,
  sftpEndpoint,
  snapshotsArgv,
} from '../../../../src/drivers/restic/argv.js';

test('backup: the staged directory as ".", host and tags, inode and ctime ignored', () => {
  assert.deepEqual(backupArgv({ host: 'hiy-t1', tags: ['hiy.resource=port/db', 'hiy.image=x:1'] }), [
    'backup',
    '--json',
    '--host',
    'hiy-t1',
    '--tag',
    'hiy.resource=port/db,hiy.image=x:1',
    '--ignore-inode',
    '--ignore-ctime',
    '.',
  ]);
  assert.throws(() => backupArgv({ host: 'h', tags: ['a,b'] }), /invalid restic tag/);
});

test('forget: tags select, keep rules in order, prune; no rule is refused', () => {
  assert.deepEqual(forgetArgv({ tags: ['hiy.volume=v'], groupBy: 'host', keep: { weekly: 4, daily: 7 } }), [
    'forget',
    '--json',
    '--tag',
    'hiy.volume=v',
    '--group-by',
    'host',
    '--keep-daily',
    '7',
    '--keep-weekly',
    '4',
    '--prune',
  ]);
  assert.throws(() => forgetArgv({ tags: [], groupBy: 'host', keep: {} }), /at least one --keep/);
});

test('snapshots and check', () => {
  assert.deepEqual(snapshotsArgv({ host: 'h', tags: ['a=1'] }), [
    'snapshots',
    '--json',
    '--host',
    'h',
    '--tag',
    'a=1',
  ]);
  assert.deepEqual(checkArgv({ readDataSubset: '5%' }), ['check', '--read-data-subset=5%']);
  assert.deepEqual(checkArgv({}), ['check']);
});

test('parses the backup summary, snapshots and forget output of restic 0.14', () => {
  const out = `{"message_type":"status","percent_done":0.5}\n{"message_type":"summary","files_new":2,"files_changed":1,"files_unmodified":3,"dirs_new":2,"dirs_changed":0,"dirs_unmodified":0,"data_blobs":2,"tree_blobs":3,"data_added":1398,"total_files_processed":6,"total_bytes_processed":600,"total_duration":0.38,"snapshot_id":"544d7dca"}\n`;
  assert.deepEqual(parseBackupSummary(out), {
    snapshotId: '544d7dca',
    filesNew: 2,
    filesChanged: 1,
    filesUnmodified: 3,
    dataAdded: 1398,
    totalFiles: 6,
    totalBytes: 600,
    durationSeconds: 0.38,
  });
  assert.throws(() => parseBackupSummary('{"message_type":"status"}'), /no summary/);
  const snaps = parseSnapshots(
    '[{"time":"2026-12-07T14:48:18Z","tree":"7e","paths":["/tmp/rt/src"],"hostname":"h","username":"root","tags":["a=1"],"id":"544d7dcaf8","short_id":"544d7dca"}]',
  );
  assert.deepEqual(snaps, [
    {
      id: '544d7dcaf8',
      shortId: '544d7dca',
      time: '2026-12-07T14:48:18Z',
      hostname: 'h',
      paths: ['/tmp/rt/src'],
      tags: ['a=1'],
    },
  ]);
  assert.deepEqual(parseSnapshots('null'), []);
  assert.deepEqual(
    parseForget('[{"tags":null,"host":"h","keep":[{"id":"a"}],"remove":[{"id":"b"},{"id":"c"}]}]'),
    ['b', 'c'],
  );
});

test('classifies restic failures from its messages', () => {
  assert.equal(classifyFailure('Fatal: wrong password or no key found\n', 1), 'wrong-password');
  assert.equal(
    classifyFailure(
      'Fatal: unable to open config file: stat /r/config: no such file or directory\nIs there a repository at the following location?',
      1,
    ),
    'no-repository',
  );
  assert.equal(
    classifyFailure('subprocess ssh: ssh: connect to host 127.0.0.1 port 1: Connection refused', 1),
    'unreachable',
  );
  assert.equal(classifyFailure('some files unreadable', 3), 'incomplete');
  assert.equal(classifyFailure('write /r/data/ab: no space left on device', 1), 'no-space');
  assert.equal(classifyFailure('something else', 1), 'failed');
});

test('sftp: the endpoint of both repository forms restic reads', () => {
  assert.deepEqual(sftpEndpoint('sftp:backup@nas.lan:/srv/hiy'), { user: 'backup', host: 'nas.lan' });
  assert.deepEqual(sftpEndpoint('sftp:nas.lan:relative/dir'), { host: 'nas.lan' });
  assert.deepEqual(sftpEndpoint('sftp://u@10.0.0.2:2222//srv/hiy'), {
    user: 'u',
    host: '10.0.0.2',
    port: 2222,
  });
  assert.deepEqual(sftpEndpoint('sftp:u@[::1]:/srv'), { user: 'u', host: '::1' });
  assert.throws(() => sftpEndpoint('sftp:u;rm -rf@host:/x'), /cannot be passed to ssh/);
  assert.throws(() => sftpEndpoint('/mnt/usb'), /not an sftp: repository/);
});

test('sftp: the ssh command names key, known hosts and port as files, batch mode, the sftp subsystem', () => {
  assert.deepEqual(
    sftpCommandArgv({
      repository: 'sftp:root@127.0.0.1:/srv/r',
      port: 2200,
      identityFile: '/tmp/k/identity',
      knownHostsFile: '/tmp/k/known_hosts',
    }),
    [
      '-o',
      'sftp.command=ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=30 -i /tmp/k/identity -o IdentitiesOnly=yes -o UserKnownHostsFile=/tmp/k/known_hosts -o StrictHostKeyChecking=yes -p 2200 -l root 127.0.0.1 -s sftp',
    ],
  );
  // The URL's port when spec.sftp.port is not given; nothing else added.
  assert.deepEqual(sftpCommandArgv({ repository: 'sftp://h:2222//r' }), [
    '-o',
    'sftp.command=ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=30 -p 2222 h -s sftp',
  ]);
  assert.throws(() => sftpCommandArgv({ repository: 'sftp:h:/r', identityFile: '/a b' }), /unsafe path/);
});
