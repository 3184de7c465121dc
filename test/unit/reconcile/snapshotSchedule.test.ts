// Snapshot schedules in the state repo: validated as cron (all problems at once), read per resource.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkResources } from '../../../src/desired/crossCheck.js';
import { parseStateFiles } from '../../../src/desired/parse.js';
import { snapshotSchedules } from '../../../src/reconcile/snapshotSchedule.js';
import { CronExpressionError, checkCron } from '../../../src/reconcile/triggers.js';

const port = (name: string, snapshots: string, volumes = true) =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: ${name}\nspec:\n  image: nginx\n${
    volumes ? '  volumes:\n    - { name: data, mountPath: /data }\n' : ''
  }  snapshots:\n${snapshots}`;

describe('snapshot schedules', () => {
  it('reads schedules and their default keep', () => {
    const parsed = parseStateFiles([
      {
        path: 'a.yaml',
        text: `${port('db', '    schedule: "0 3 * * *"\n')}---\n${port('mq', '    schedule: "*/10 * * * * *"\n    keep: 2\n')}`,
      },
    ]);
    assert.deepEqual(parsed.diagnostics, []);
    assert.deepEqual(checkResources(parsed.resources), []);
    const schedules = snapshotSchedules({
      repo: '/s',
      branch: 'main',
      commit: 'c',
      resources: parsed.resources,
      workloads: [],
      users: [],
    });
    assert.deepEqual(
      [...schedules.values()],
      [
        { resource: 'port/db', schedule: '0 3 * * *', keep: 5 },
        { resource: 'port/mq', schedule: '*/10 * * * * *', keep: 2 },
      ],
    );
  });

  it('rejects a bad cron at its position, and warns about a schedule without volumes', () => {
    const parsed = parseStateFiles([
      {
        path: 'a.yaml',
        text: `${port('db', '    schedule: "every night"\n')}---\n${port('web', '    schedule: "0 3 * * *"\n', false)}`,
      },
    ]);
    assert.deepEqual(parsed.diagnostics, []);
    const ds = checkResources(parsed.resources).map(
      (d) => `${d.file}:${d.line} ${d.severity} ${d.path} ${d.summary}`,
    );
    assert.equal(ds.length, 2);
    assert.match(
      ds[0]!,
      /^a\.yaml:10 error spec\.snapshots\.schedule "every night" is not a cron expression/,
    );
    assert.match(ds[1]!, /warning spec\.snapshots snapshots are scheduled but the resource has no volumes/);
  });

  it('checkCron accepts 5 and 6 fields and names the problem otherwise', () => {
    checkCron('* * * * *', 'x');
    checkCron('*/2 * * * * *', 'x');
    assert.throws(() => checkCron('* * * *', 'resync'), CronExpressionError);
    assert.throws(
      () => checkCron('61 * * * *', 'resync'),
      /resync: "61 \* \* \* \*" is not a cron expression/,
    );
  });
});
