// A PEM bundle splits into its chain (every certificate, in order) and its one key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitPemBundle } from '../../../src/model/pemBundle.js';

const block = (type: string, body: string) => `-----BEGIN ${type}-----\n${body}\n-----END ${type}-----`;

describe('splitPemBundle', () => {
  it('keeps the certificates in order and takes the first key of any kind', () => {
    const pem = `comment\n${block('CERTIFICATE', 'leaf')}\n${block('EC PRIVATE KEY', 'k1')}\n${block('CERTIFICATE', 'ca')}\n${block('PRIVATE KEY', 'k2')}\n`;
    const b = splitPemBundle(pem);
    assert.equal(b.chain, `${block('CERTIFICATE', 'leaf')}\n${block('CERTIFICATE', 'ca')}\n`);
    assert.equal(b.key, `${block('EC PRIVATE KEY', 'k1')}\n`);
    assert.deepEqual([b.certificates, b.keys], [2, 2]);
  });

  it('ignores other blocks and says when a part is missing', () => {
    const b = splitPemBundle(block('EC PARAMETERS', 'p'));
    assert.deepEqual(b, { chain: '', key: '', certificates: 0, keys: 0 });
  });
});
