// The secret store: values 0600 in a 0700 directory, salted digests that persist, names checked, exclusive
// create, read-only digests.
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

  it('create is exclusive: of many stores racing, one value is stored and the others keep it', async () => {
    const stores = Array.from({ length: 8 }, () => new SecretStore(dir));
    const created = await Promise.all(stores.map((st, i) => st.create('generated', `value-${i}`)));
    assert.equal(created.filter(Boolean).length, 1, 'one winner');
    const winner = created.indexOf(true);
    assert.equal(await store.value('generated'), `value-${winner}`);
    assert.equal(await store.create('generated', 'later'), false, 'an existing one is never replaced');
    assert.equal(await store.value('generated'), `value-${winner}`);
    assert.equal((await stat(join(dir, 'secrets', 'values', 'generated'))).mode & 0o777, 0o600);
  });

  it('read-only digests write nothing, and agree with the salt this store creates later', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'hiy-secrets-'));
    try {
      const st = new SecretStore(fresh);
      const planned = await st.readOnly().digest(VALUE);
      await assert.rejects(stat(join(fresh, 'secrets')), /ENOENT/, 'planning wrote nothing');
      assert.equal(await st.digest(VALUE), planned, 'an apply of the same process agrees with its plan');
      assert.equal(await new SecretStore(fresh).readOnly().digest(VALUE), planned, 'the stored salt is read');
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });
});
