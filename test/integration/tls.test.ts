// HTTPS for real on a real Caddy: the internal CA on a fresh data directory (fast first load, root from `hiy ca`),
// and ACME against a real Pebble validating HTTP-01 on HIY's HTTP port.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { type RunningPebble, startPebble } from '../support/pebble.js';
import { waitFor } from '../support/ports.js';
import { curlHttps, presentedCertificate, writePem } from '../support/tls.js';

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

    const status = await h.hiy(['status']);
    assert.match(
      status.out,
      new RegExp(`${host.replace(/\./g, '\\.')} .*Caddy Local Authority - ECC Intermediate`),
    );

    const json = await h.hiy(['ca', '--json']);
    assert.equal(JSON.parse(json.out).rootCertificate, ca.out);
  });
});

describe('HIY_TLS=acme against Pebble', () => {
  let h: Harness;
  let pebble: RunningPebble;
  const host = 'app.acme.test';

  before(async () => {
    h = await startHarness({ 'web.yaml': webPort('web', host, { text: 'tls-acme' }) });
    pebble = await startPebble({ httpPort: h.caddy.httpPort });
    Object.assign(h.env, {
      HIY_TLS: 'acme',
      HIY_ACME_CA: pebble.directory,
      HIY_ACME_CA_ROOT: pebble.listenerCaFile,
      HIY_ACME_EMAIL: 'ops@example.com',
    });
  });
  after(async () => {
    await h.cleanup();
    await pebble.stop();
  });

  it('gets a certificate issued by Pebble for the route host; plain HTTP redirects to HTTPS', async () => {
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    const rootFile = await writePem(join(h.root, 'pebble-root.pem'), await pebble.issuingRoot());
    const res = await waitFor(
      async () => {
        const got = await curlHttps(httpsPort(h), host, rootFile);
        return got.status === 200 ? got : undefined;
      },
      { what: `https://${host} with Pebble's certificate`, timeoutMs: 90_000, intervalMs: 500 },
    ).catch((err) => {
      throw new Error(
        `${err.message}\ncaddy: ${h.caddy.output().slice(-3000)}\npebble: ${pebble.output().slice(-3000)}`,
      );
    });
    assert.ok(res);
    assert.equal(res.body.trim(), 'tls-acme:hello');
    const cert = await presentedCertificate(httpsPort(h), host);
    assert.match(cert.issuer, /Pebble Intermediate CA/);
    assert.ok(cert.checkHost(host));
    assert.match(
      pebble.output(),
      new RegExp(`Attempting to validate w/ HTTP: http://${host.replace(/\./g, '\\.')}:${h.caddy.httpPort}/`),
    );
    const plain = await h.get(host, '/');
    assert.equal(plain.status, 308);

    const again = await h.hiy(['plan']);
    assert.equal(again.code, 0, again.out + again.err);

    const status = await h.hiy(['status', '--json']);
    const certs = JSON.parse(status.out).certificates as {
      host: string;
      issuer?: string;
      notAfter?: string;
    }[];
    assert.equal(certs.length, 1);
    assert.equal(certs[0]?.host, host);
    assert.match(certs[0]?.issuer ?? '', /Pebble Intermediate CA/);
    assert.ok(Date.parse(certs[0]?.notAfter ?? '') > Date.now());
    const text = await h.hiy(['status']);
    assert.match(text.out, /Certificates \(HIY_TLS=acme\):/);
  });
});
