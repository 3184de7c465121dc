// The dashboard's session cookie is Secure exactly when the browser reached it over HTTPS: directly, or through
// HIY's Caddy (X-Forwarded-Proto, believed only with the proxy secret) — never on plain HTTP, loopback included.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sessionCookie } from '../../../src/server/dashboard/session.js';
import { forwardedGate } from '../../../src/server/forwarded.js';
import { proxySecret } from '../../../src/store/proxySecret.js';

function request(headers: Record<string, string>, encrypted = false): IncomingMessage {
  return {
    headers: { ...headers },
    socket: { remoteAddress: '127.0.0.1', encrypted },
  } as unknown as IncomingMessage;
}
const secure = (req: IncomingMessage) => sessionCookie(req, 'tok').split('; ').includes('Secure');

describe('session cookie: Secure over HTTPS only', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-cookie-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('plain HTTP on loopback: no Secure (the demo at http://hiy.localhost/ keeps working)', () => {
    const c = sessionCookie(request({}), 'tok');
    assert.equal(
      c,
      'hiy_session=tok; Max-Age=' +
        c.split('Max-Age=')[1]!.split(';')[0] +
        '; Path=/; HttpOnly; SameSite=Strict',
    );
    assert.equal(secure(request({})), false);
  });

  it('TLS on the socket: Secure, on the sign-out cookie too', () => {
    assert.equal(secure(request({}, true)), true);
    assert.match(sessionCookie(request({}, true), undefined), /^hiy_session=; Max-Age=0; .*; Secure$/);
  });

  it('through HIY Caddy over HTTPS (X-Forwarded-Proto with the proxy secret): Secure', async () => {
    const vet = await forwardedGate(dir);
    const req = request({ 'x-forwarded-proto': 'https', 'x-hiy-proxy-secret': await proxySecret(dir) });
    await vet(req);
    assert.equal(secure(req), true);
    const viaHttp = request({ 'x-forwarded-proto': 'http', 'x-hiy-proxy-secret': await proxySecret(dir) });
    await vet(viaHttp);
    assert.equal(secure(viaHttp), false);
  });

  it('a plain-HTTP client claiming X-Forwarded-Proto: https without the secret gets no Secure', async () => {
    const vet = await forwardedGate(dir);
    for (const extra of [{}, { 'x-hiy-proxy-secret': 'guess' }] as Record<string, string>[]) {
      const req = request({ 'x-forwarded-proto': 'https', ...extra });
      await vet(req);
      assert.equal(req.headers['x-forwarded-proto'], undefined);
      assert.equal(secure(req), false);
    }
  });
});
