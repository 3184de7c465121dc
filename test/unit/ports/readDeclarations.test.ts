// Reading port declarations: the images not seen before are inspected in one podman call, whatever their number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import { missingImages } from '../../../src/drivers/podman/output.js';
import { readDeclarations } from '../../../src/ports/read.js';

function memoryCache() {
  let value = { refs: {} as Record<string, string>, labels: {} as Record<string, string | null> };
  return {
    read: async () => structuredClone(value),
    write: async (v: typeof value) => {
      value = structuredClone(v);
    },
  };
}

describe('readDeclarations', () => {
  it('inspects every image not cached in one call, present or not, and none the next time it is cached', async () => {
    const podman = new FakePodman();
    podman.addImage('localhost/example/web:1', {});
    podman.addImage('localhost/example/web:2', {});
    const cache = memoryCache();
    const refs = ['localhost/example/web:1', 'localhost/example/web:2', 'localhost/example/web:9'];
    const first = await readDeclarations({ podman, cache, refs, containers: [] });
    assert.equal(podman.calls, 1);
    assert.deepEqual(
      [...first.values()].map((d) => d.kind),
      ['bare', 'bare', 'absent'],
    );
    await readDeclarations({ podman, cache, refs: refs.slice(0, 2), containers: [] });
    assert.equal(podman.calls, 1, 'cached images cost no call');
  });
});

describe('missingImages', () => {
  it('names each reference podman image inspect did not find', () => {
    const stderr =
      'error inspecting object: localhost/example/web:7: image not known\nError: inspecting object: localhost/example/web:8: image not known\n';
    assert.deepEqual([...missingImages(stderr)], ['localhost/example/web:7', 'localhost/example/web:8']);
    assert.deepEqual([...missingImages('Error: cannot connect to Podman')], []);
  });
});
