// Reading the certificate Caddy's file storage holds for a host: newest issuer's files, digest of the certificate.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readHostCertificates } from '../../../../src/drivers/caddy/storage.js';

describe('readHostCertificates', () => {
  let dir: string;
  const put = async (issuer: string, host: string, crt: string, key = 'key', mtime?: Date) => {
    const d = join(dir, 'certificates', issuer, host);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, `${host}.crt`), crt);
    if (key) await writeFile(join(d, `${host}.key`), key);
    if (mtime) await utimes(join(d, `${host}.crt`), mtime, mtime);
    return d;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-caddy-storage-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('finds nothing in a directory Caddy has not written (a fresh box)', async () => {
    assert.deepEqual(await readHostCertificates(join(dir, 'missing'), ['mail.test']), {});
  });

  it("gives the folder, the files' names and the certificate's digest; the newest issuer's wins", async () => {
    await put('local', 'mail.test', 'OLD', 'key', new Date('2026-01-01T00:00:00Z'));
    const acme = await put(
      'acme.example-directory',
      'mail.test',
      'NEW',
      'key',
      new Date('2026-06-01T00:00:00Z'),
    );
    await put('local', 'nokey.test', 'CRT', '');
    const found = await readHostCertificates(dir, ['mail.test', 'nokey.test', 'other.test']);
    assert.deepEqual(Object.keys(found), ['mail.test'], 'a certificate without its key is not one');
    assert.equal(found['mail.test']!.dir, acme);
    assert.equal(found['mail.test']!.certFile, 'mail.test.crt');
    assert.equal(found['mail.test']!.keyFile, 'mail.test.key');
    assert.match(found['mail.test']!.digest, /^[0-9a-f]{16}$/);

    await writeFile(join(acme, 'mail.test.crt'), 'RENEWED');
    const renewed = await readHostCertificates(dir, ['mail.test']);
    assert.notEqual(renewed['mail.test']!.digest, found['mail.test']!.digest, 'a renewal changes the digest');
  });
});
