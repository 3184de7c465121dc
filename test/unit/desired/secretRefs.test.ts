// The secrets a state refers to: digests of those set, and each one not set placed at the field that names it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDesiredFromFiles } from '../../../src/desired/load.js';
import { digestSecrets } from '../../../src/desired/secretRefs.js';

/** Port `svc-i` reads secret `s-i` as DB_PASSWORD; 7 lines a document. */
const doc = (i: number) =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: svc-${i}\nspec:\n  image: x\n  secretEnv: { DB_PASSWORD: s-${i} }\n---\n`;

async function state(count: number) {
  const text = Array.from({ length: count }, (_, i) => doc(i)).join('');
  const loaded = await loadDesiredFromFiles([{ path: 'ports.yaml', text }], {
    settings: { stateRepo: '/nowhere', branch: 'main', instance: 't' },
    git: {} as never,
  });
  return loaded.state!;
}

describe('digestSecrets', () => {
  it('digests the secrets set and places each one not set at its own resource, among many', async () => {
    const { workloads, resources } = await state(40);
    const set = new Set(
      Array.from({ length: 40 }, (_, i) => `s-${i}`).filter((n) => !['s-3', 's-31'].includes(n)),
    );
    const source = {
      value: async (n: string) => (set.has(n) ? `value of ${n}` : undefined),
      digest: async (v: string) => `digest(${v.length})`,
    };
    const { digests, diagnostics } = await digestSecrets(workloads, resources, source);
    assert.equal(Object.keys(digests).length, 38);
    assert.equal(digests['s-0'], 'digest(12)');
    // Document i starts at line 8i + 1; its secretEnv is its 7th line, the secret's name at column 29.
    assert.deepEqual(
      diagnostics.map((d) => [d.summary, d.resource, d.file, d.line, d.column, d.path]),
      [
        ['secret "s-3" is not set', 'port/svc-3', 'ports.yaml', 3 * 8 + 7, 29, 'spec.secretEnv.DB_PASSWORD'],
        [
          'secret "s-31" is not set',
          'port/svc-31',
          'ports.yaml',
          31 * 8 + 7,
          29,
          'spec.secretEnv.DB_PASSWORD',
        ],
      ],
    );
  });

  it('a workload not in the state repo (a pinned release) gets a diagnostic without a place', async () => {
    const { workloads } = await state(2);
    const source = { value: async () => undefined, digest: async () => 'd' };
    const { diagnostics } = await digestSecrets(workloads, [], source);
    assert.deepEqual(
      diagnostics.map((d) => [d.resource, d.file, d.line]),
      [
        ['port/svc-0', undefined, undefined],
        ['port/svc-1', undefined, undefined],
      ],
    );
  });
});
