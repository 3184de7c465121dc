// HTTPS for real on a real Caddy: the internal CA on a fresh data directory (fast first load, root from `hiy ca`).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';
import { curlHttps, writePem } from '../support/tls.js';

function httpsPort(h: Harness): number {
  return Number(String(h.env['HIY_HTTPS_ADDR']).split(':').pop());
}

describe('HIY_TLS=internal on a fresh Caddy data directory', () => {
  let h: Harness;
  const host = 'secure.internal.test';

  before(async () => {
    h = await startHarness({ 'web.yaml': webPort('web', host, { text: 'tls-internal' }) });
    h.env['HIY_TLS'] = 'internal';
  });
  after(() => h.cleanup());

  it('applies on the first load within the admin timeout, never installing into the system trust store', async () => {
    const started = Date.now();
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    const config = (await (await fetch(`${h.caddy.adminUrl}/config/`)).json()) as {
      apps: { pki: { certificate_authorities: { local: { install_trust?: boolean } } } };
    };
    assert.equal(config.apps.pki.certificate_authorities.local.install_trust, false);
    assert.match(h.caddy.output(), /root certificate trust store installation disabled/);
    assert.doesNotMatch(h.caddy.output(), /installing root certificate/);
    // Whole apply (container start included) well under the 27 s that the trust store installation took.
    assert.ok(Date.now() - started < 60_000);
  });

  it('`hiy ca` prints the root that curl --cacert verifies the route with; plain HTTP redirects', async () => {
    const ca = await h.hiy(['ca']);
    assert.equal(ca.code, 0, ca.err);
    assert.match(ca.out, /^-----BEGIN CERTIFICATE-----\n/);
    const root = new X509Certificate(ca.out);
    assert.ok(root.ca);
    const caFile = await writePem(join(h.root, 'root.pem'), ca.out);
    const res = await waitFor(
      async () => {
        const r = await curlHttps(httpsPort(h), host, caFile);
        return r.status === 200 ? r : undefined;
      },
      { what: `https://${host} to verify against hiy ca's root`, timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.ok(res);
    assert.equal(res.body.trim(), 'tls-internal:hello');
    const plain = await h.get(host, '/x?y=1');
    assert.equal(plain.status, 308);

    const json = await h.hiy(['ca', '--json']);
    assert.equal(JSON.parse(json.out).rootCertificate, ca.out);
  });
});
