// API tokens: shown once, stored hashed, verified in constant time, gone after revoke.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TokenStore } from '../../../src/store/tokens.js';

describe('tokens', () => {
  it('verify accepts the token once created, in constant time, and nothing after revoke', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hiy-tokens-'));
    try {
      const store = new TokenStore(dir);
      const { token, record } = await store.create('alice');
      assert.match(token, /^hiy_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      assert.equal((await store.verify(token))?.user, 'alice');
      assert.equal(await store.verify(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), undefined);
      assert.equal(await store.verify('Bearer nonsense'), undefined);
      assert.ok(!(await readFile(store.path, 'utf8')).includes(token.slice(17)));
      assert.ok(await store.revoke(record.id));
      assert.equal(await store.verify(token), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
