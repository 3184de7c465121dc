// The steps of a build found in podman's output: stages, durations, the failing step and its last lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BuildSteps,
  formatLimit,
  formatStepMs,
  LAST_LINES,
  stageStep,
} from '../../../src/apply/buildSteps.js';

function tracker() {
  let t = 0;
  const steps = new BuildSteps(() => t);
  return { steps, tick: (ms: number) => (t += ms) };
}

describe('build steps', () => {
  it('names a single-stage build "build" and reports durations of steps and slow instructions', () => {
    const { steps, tick } = tracker();
    assert.deepEqual(steps.begin('detect'), [{ kind: 'step.started', step: 'detect' }]);
    tick(100);
    const started = steps.line('STEP 1/3: FROM busybox');
    assert.deepEqual(started, [
      { kind: 'step.finished', step: 'detect', ms: 100 },
      { kind: 'step.started', step: 'build' },
    ]);
    tick(50);
    assert.deepEqual(steps.line('STEP 2/3: RUN npm ci'), []); // FROM took 50 ms: not worth a line
    tick(12_300);
    assert.deepEqual(steps.line('STEP 3/3: CMD ["node"]'), [
      { kind: 'instruction.finished', step: 'build', instruction: 'RUN npm ci', ms: 12_300 },
    ]);
    tick(10);
    assert.deepEqual(steps.end(), [{ kind: 'step.finished', step: 'build', ms: 12_360 }]);
  });

  it('tells build stages from the runtime stage in a multi-stage build', () => {
    assert.equal(stageStep(1, 2, 'golang AS build'), 'build stage build');
    assert.equal(stageStep(1, 2, 'golang'), 'build stage');
    assert.equal(stageStep(2, 3, 'node'), 'build stage 2');
    assert.equal(stageStep(2, 2, 'debian'), 'runtime stage');
    assert.equal(stageStep(undefined, undefined, 'x'), 'build');
    const { steps } = tracker();
    steps.begin('detect');
    steps.line('[1/2] STEP 1/2: FROM golang AS build');
    assert.equal(steps.step, 'build stage build');
    steps.line('[1/2] STEP 2/2: RUN go build');
    steps.line('[2/2] STEP 1/2: FROM debian');
    assert.equal(steps.step, 'runtime stage');
  });

  it('a failure names the step, the instruction under way and the last lines', () => {
    const { steps, tick } = tracker();
    steps.begin('detect');
    steps.line('STEP 1/2: FROM busybox');
    steps.line('STEP 2/2: RUN make');
    for (let i = 0; i < LAST_LINES + 5; i++) steps.line(`line ${i}`);
    tick(2000);
    const f = steps.failure();
    assert.equal(f.step, 'build');
    assert.equal(f.instruction, 'RUN make');
    assert.equal(f.ms, 2000);
    assert.equal(f.lastLines.length, LAST_LINES);
    assert.equal(f.lastLines.at(-1), `line ${LAST_LINES + 4}`);
  });

  it('formats durations and limits for people', () => {
    assert.equal(formatStepMs(400), '0.4s');
    assert.equal(formatStepMs(125_000), '2m05s');
    assert.equal(formatLimit(30 * 60_000), '30m');
    assert.equal(formatLimit(3_600_000), '1h');
    assert.equal(formatLimit(5000), '5s');
  });
});
