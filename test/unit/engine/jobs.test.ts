// Jobs of a state and their events: which runs notify.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStateFiles } from '../../../src/desired/parse.js';
import { jobEvent, jobsOf } from '../../../src/engine/jobs.js';
import type { JobRun } from '../../../src/store/jobRuns.js';

test('jobsOf lists every job with its resource and timeout', () => {
  const { resources, diagnostics } = parseStateFiles([
    {
      path: 'a.yaml',
      text: `apiVersion: hiy/v1
kind: Port
metadata: { name: web }
spec:
  image: x
  jobs:
    - name: cleanup
      schedule: "*/15 * * * *"
      command: ["/app/cleanup"]
      timeout: 10m
    - name: report
      schedule: "0 3 * * *"
      command: ["/app/report"]
`,
    },
  ]);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(jobsOf(resources.map((r) => r.resource)), [
    {
      resource: 'port/web',
      name: 'cleanup',
      schedule: '*/15 * * * *',
      command: ['/app/cleanup'],
      timeoutMs: 600_000,
    },
    {
      resource: 'port/web',
      name: 'report',
      schedule: '0 3 * * *',
      command: ['/app/report'],
      timeoutMs: 3_600_000,
    },
  ]);
});

test('only failed and timed-out runs are events', () => {
  const run = (outcome: JobRun['outcome'], exitCode?: number): JobRun => ({
    resource: 'port/web',
    job: 'cleanup',
    trigger: 'schedule',
    startedAt: '2026-01-01T00:00:00Z',
    ms: 5,
    outcome,
    ...(exitCode !== undefined && { exitCode }),
    output: '',
  });
  assert.equal(jobEvent(run('succeeded', 0)), undefined);
  assert.equal(jobEvent(run('skipped')), undefined);
  assert.equal(jobEvent(run('failed', 4))?.message, 'port/web: job cleanup exited 4');
  assert.equal(jobEvent(run('timed-out', 124))?.type, 'job.failed');
});
