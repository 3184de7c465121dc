// Stopping a build: the processes under podman (its RUN step runs in its own session and outlives podman).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { descendantsOf } from '../../../../src/drivers/podman/processTree.js';

describe('processes under podman', () => {
  it('finds every descendant of podman, not itself nor its siblings', () => {
    const parents = new Map([
      [10, 1], // podman
      [11, 10], // buildah-oci-runtime
      [12, 11], // the RUN step
      [13, 12],
      [20, 1], // someone else
    ]);
    assert.deepEqual(descendantsOf(10, parents), [11, 12, 13]);
    assert.deepEqual(descendantsOf(20, parents), []);
  });
});
