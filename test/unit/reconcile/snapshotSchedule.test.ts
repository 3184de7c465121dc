// Snapshot schedules in the state repo, read per resource with their default keep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkResources } from '../../../src/desired/crossCheck.js';
import { parseStateFiles } from '../../../src/desired/parse.js';
import { snapshotSchedules } from '../../../src/reconcile/snapshotSchedule.js';

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
});
