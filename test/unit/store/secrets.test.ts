// The secret store: values 0600 in a 0700 directory, salted digests that persist, names checked.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretStore } from '../../../src/store/secrets.js';

const VALUE = 'hunter2-Sup3rS3cret';

describe('SecretStore', () => {
  let dir: string;
  let otherDir: string;
  let store: SecretStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-secrets-'));
    otherDir = await mkdtemp(join(tmpdir(), 'hiy-secrets-'));
    store = new SecretStore(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(otherDir, { recursive: true, force: true });
  });

  it('the store keeps values 0600 in a 0700 directory, and digests are salted', async () => {
    await store.set('db-pass', VALUE);
    assert.equal(await store.value('db-pass'), VALUE);
    assert.equal((await stat(join(dir, 'secrets', 'values', 'db-pass'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'secrets'))).mode & 0o777, 0o700);
    const other = new SecretStore(otherDir);
    assert.notEqual(await other.digest(VALUE), await store.digest(VALUE), 'another salt, another digest');
    assert.equal(await store.digest(VALUE), await new SecretStore(dir).digest(VALUE), 'the salt persists');
    assert.deepEqual(
      (await store.list()).map((e) => e.name),
      ['db-pass'],
    );
    await assert.rejects(store.set('../escape', 'x'), /not a secret name/);
  });
});
