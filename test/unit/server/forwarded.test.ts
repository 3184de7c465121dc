// X-Forwarded-For is believed only from a request that carries the box's proxy secret.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clientAddress } from '../../../src/server/dashboard/session.js';
import { forwardedGate } from '../../../src/server/forwarded.js';
import { proxySecret, proxySecretPath } from '../../../src/store/proxySecret.js';

function request(headers: Record<string, string>, remoteAddress = '127.0.0.1'): IncomingMessage {
  return { headers: { ...headers }, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('forwardedGate', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-fwd-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes one secret per data directory, mode 0600, and reads the same one back', async () => {
    const [a, b] = await Promise.all([proxySecret(dir), proxySecret(dir)]);
    assert.equal(a, b);
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await stat(proxySecretPath(dir))).mode & 0o777, 0o600);
    assert.equal((await readFile(proxySecretPath(dir), 'utf8')).trim(), a);
  });

  it('ignores a forged X-Forwarded-For from a loopback client without the secret', async () => {
    const vet = await forwardedGate(dir);
    for (const extra of [{}, { 'x-hiy-proxy-secret': 'guess' }] as Record<string, string>[]) {
      const req = request({ 'x-forwarded-for': '203.0.113.9', ...extra });
      await vet(req);
      assert.equal(clientAddress(req), '127.0.0.1');
      assert.equal(req.headers['x-hiy-proxy-secret'], undefined);
    }
  });

  it('believes X-Forwarded-For with the secret, and drops the secret header', async () => {
    const vet = await forwardedGate(dir);
    const req = request({ 'x-forwarded-for': '203.0.113.9', 'x-hiy-proxy-secret': await proxySecret(dir) });
    await vet(req);
    assert.equal(clientAddress(req), '203.0.113.9');
    assert.equal(req.headers['x-hiy-proxy-secret'], undefined);
  });

  it('picks up a secret made after it started', async () => {
    const vet = await forwardedGate(dir);
    await writeFile(proxySecretPath(dir), 'replaced-secret\n', { mode: 0o600 });
    const req = request({ 'x-forwarded-for': '198.51.100.7', 'x-hiy-proxy-secret': 'replaced-secret' });
    await vet(req);
    assert.equal(clientAddress(req), '198.51.100.7');
  });
});
