// Certificates you bring, on a real Caddy: a route's tls.certificate names a secret (chain + key, PEM) made with
// openssl; it is checked before anything changes, loaded in the one Caddy load, and replaced at the next apply.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { makeCa, makeLeaf, type TestCa } from '../support/openssl.js';
import { waitFor } from '../support/ports.js';
import { curlHttps, presentedCertificate } from '../support/tls.js';

function httpsPort(h: Harness): number {
  return Number(String(h.env['HIY_HTTPS_ADDR']).split(':').pop());
}

/** The web Port with `tls: {certificate: SECRET}` on its route. */
function webWithCertificate(host: string, secret: string): string {
  return webPort('web', host, { text: 'brought' }).replace(
    '      port: 8080\n',
    `      port: 8080\n      tls:\n        certificate: ${secret}\n`,
  );
}

describe('a route with a certificate you bring (HIY_TLS=internal)', () => {
  let h: Harness;
  let ca: TestCa;
  const host = 'brought.cert.test';

  before(async () => {
    h = await startHarness({ 'web.yaml': webWithCertificate(host, 'site-cert') });
    h.env['HIY_TLS'] = 'internal';
    const dir = join(h.root, 'pki');
    await mkdir(dir);
    ca = await makeCa(dir);
  });
  after(() => h.cleanup());

  async function setSecret(name: string, pem: string): Promise<void> {
    const file = join(h.root, `${name}.pem`);
    await writeFile(file, pem, { mode: 0o600 });
    const r = await h.hiy(['secret', 'set', name, '--from-file', file]);
    assert.equal(r.code, 0, r.out + r.err);
  }

  async function served(): Promise<X509Certificate> {
    return presentedCertificate(httpsPort(h), host);
  }

  it('refuses a bundle that cannot serve the host, all problems at once with file:line, changing nothing', async () => {
    const unset = await h.hiy(['plan']);
    assert.notEqual(unset.code, 0);
    assert.match(
      unset.err,
      /web\.yaml:\d+:\d+: spec\.routes\[0\]\.tls\.certificate: secret "site-cert" is not set/,
    );

    const other = await makeLeaf(ca, 'other', ['other.cert.test'], { wrongKey: true });
    await setSecret('site-cert', other.bundle);
    const r = await h.hiy(['apply']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.err,
      /web\.yaml:\d+:\d+: spec\.routes\[0\]\.tls\.certificate: certificate secret "site-cert" holds a private key that is not the certificate's/,
    );
    assert.match(r.err, /certificate secret "site-cert" does not cover brought\.cert\.test/);
    assert.doesNotMatch(r.err, /PRIVATE KEY-----|BEGIN CERTIFICATE/);
    assert.match(r.err, /nothing was applied/);
    const config = (await (await fetch(`${h.caddy.adminUrl}/config/`)).json()) as unknown;
    assert.doesNotMatch(JSON.stringify(config ?? {}), new RegExp(h.instance));

    await setSecret('site-cert', 'not a PEM at all\n');
    const garbage = await h.hiy(['plan']);
    assert.notEqual(garbage.code, 0);
    assert.match(garbage.err, /holds no certificate/);
    assert.match(garbage.err, /holds no private key/);
  });

  it('serves the brought certificate over HTTPS, loaded in the one Caddy load; no key in plans or reads', async () => {
    const good = await makeLeaf(ca, 'first', [host]);
    await setSecret('site-cert', good.bundle);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /certificate site-cert hmac:/);
    const res = await waitFor(
      async () => {
        const got = await curlHttps(httpsPort(h), host, ca.certFile);
        return got.status === 200 ? got : undefined;
      },
      { what: `https://${host} verified against the test root`, timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.equal(res?.body.trim(), 'brought:hello');
    const cert = await served();
    assert.equal(cert.serialNumber, new X509Certificate(good.leaf).serialNumber);
    // Caddy has it; HIY's views and the next plan never show the key, and nothing is left to do.
    const config = JSON.stringify(await (await fetch(`${h.caddy.adminUrl}/config/`)).json());
    assert.match(config, /load_pem/);
    // Caddy keeps the key in its autosaved config, readable by its own user only.
    const autosave = /autosaved config[^\n]*"file":\s*"([^"]+)"/.exec(h.caddy.output())?.[1];
    assert.ok(autosave, h.caddy.output().slice(-2000));
    assert.equal((await stat(autosave)).mode & 0o077, 0, `${autosave} is readable by others`);
    const again = await h.hiy(['plan', '--json']);
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(JSON.parse(again.out).actions, []);
    assert.doesNotMatch(again.out, /PRIVATE KEY|BEGIN CERTIFICATE/);
    const status = await h.hiy(['status', '--json']);
    const certs = JSON.parse(status.out).certificates as {
      host: string;
      issuer?: string;
      expiresSoon?: boolean;
    }[];
    assert.match(certs[0]?.issuer ?? '', /HIY Test Root/);
    assert.equal(certs[0]?.expiresSoon, false);
    const plain = await h.get(host, '/');
    assert.equal(plain.status, 308);
  });

  it('replacing the secret serves the new certificate at the next apply', async () => {
    const next = await makeLeaf(ca, 'second', [host]);
    await setSecret('site-cert', next.bundle);
    const plan = await h.hiy(['plan']);
    assert.equal(plan.code, 0, plan.out + plan.err);
    assert.match(plan.out, /route\/port\/web/);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    const want = new X509Certificate(next.leaf).serialNumber;
    await waitFor(async () => ((await served()).serialNumber === want ? true : undefined), {
      what: 'the replaced certificate to be served',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const res = await curlHttps(httpsPort(h), host, ca.certFile);
    assert.equal(res.status, 200, res.err);
  });

  it('a certificate expiring within 14 days is applied with a warning, and hiy status flags it', async () => {
    const soon = await makeLeaf(ca, 'soon', [host], { days: 5 });
    await setSecret('site-cert', soon.bundle);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(
      r.err,
      /warning: web\.yaml:\d+:\d+: spec\.routes\[0\]\.tls\.certificate: certificate secret "site-cert" expires within 14 days/,
    );
    const want = new X509Certificate(soon.leaf).serialNumber;
    await waitFor(async () => ((await served()).serialNumber === want ? true : undefined), {
      what: 'the short-lived certificate to be served',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const status = await h.hiy(['status']);
    assert.match(status.out, new RegExp(`${host.replace(/\./g, '\\.')} .*WARNING: within 14 days`));
    assert.match(status.out, /port\/web .*WARNING: certificate secret "site-cert" expires within 14 days/);
    const json = JSON.parse((await h.hiy(['status', '--json'])).out) as {
      resources: { id: string; certificateProblems?: string[] }[];
    };
    assert.match(json.resources[0]?.certificateProblems?.[0] ?? '', /expires within 14 days/);
    // The secret store keeps the key 0600; HIY wrote it nowhere else in its data directory.
    const mode =
      (await import('node:fs')).statSync(join(h.dataDir, 'secrets', 'values', 'site-cert')).mode & 0o777;
    assert.equal(mode, 0o600);
    assert.ok(
      (await readFile(join(h.dataDir, 'secrets', 'values', 'site-cert'), 'utf8')).includes('PRIVATE KEY'),
    );
  });
});
