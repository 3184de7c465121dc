import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { settingsFrom, UsageError } from '../../../src/cli/config.js';
import { tlsSettings } from '../../../src/cli/tlsSettings.js';

// A real self-signed certificate (openssl req -x509 -newkey ec), public material only.
const REAL_CERT = `-----BEGIN CERTIFICATE-----
MIIBfjCCASOgAwIBAgIUD9Vujd34uF/1rdUgGBvOLIS34iswCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJdGVzdC1yb290MB4XDTI2MTIwNzE1MTExN1oXDTM2MTIwNDE1
MTExN1owFDESMBAGA1UEAwwJdGVzdC1yb290MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEJCmkNqVa7PD7xnQ1S4dFG1dE+rwfPv4lpB0ri/KLSMjC/NaPtJ9hLRNt
FYKpv92JmuCZ9Bf5zO+KjJTsapMniaNTMFEwHQYDVR0OBBYEFC9jVxnD0qMWfcdY
0NnMmpqaPlUjMB8GA1UdIwQYMBaAFC9jVxnD0qMWfcdY0NnMmpqaPlUjMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAJWR0sDbK12UOhvhwlmTNq7o
SMV2d47jazCGAT25AxLDAiEAnIs31l6KtOU6Ri3cTldUW/0fcOHYJe/W2DM9gvOd
AX4=
-----END CERTIFICATE-----
`;

describe('tlsSettings', () => {
  it('defaults to acme on :443 with no ACME overrides', () => {
    assert.deepEqual(tlsSettings({}), { settings: { tls: 'acme', httpsAddr: ':443' }, problems: [] });
  });

  it('reads the ACME directory, its root file and the account e-mail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hiy-tls-'));
    const root = join(dir, 'root.pem');
    writeFileSync(root, REAL_CERT);
    const r = tlsSettings({
      HIY_TLS: 'acme',
      HIY_ACME_CA: 'https://127.0.0.1:14000/dir',
      HIY_ACME_CA_ROOT: root,
      HIY_ACME_EMAIL: 'ops@example.com',
      HIY_HTTPS_ADDR: '127.0.0.1:8443',
    });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.settings, {
      tls: 'acme',
      httpsAddr: '127.0.0.1:8443',
      acme: { ca: 'https://127.0.0.1:14000/dir', caRoot: root, email: 'ops@example.com' },
    });
  });

  it('reports every bad setting at once, one line each naming its variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hiy-tls-'));
    const notPem = join(dir, 'x.pem');
    writeFileSync(notPem, 'hello');
    const r = tlsSettings({
      HIY_HTTPS_ADDR: 'nowhere',
      HIY_ACME_CA: 'http://plain/dir',
      HIY_ACME_CA_ROOT: notPem,
      HIY_ACME_EMAIL: 'nobody',
    });
    assert.deepEqual(r.problems, [
      'HIY_HTTPS_ADDR must be a listen address like :443 or 127.0.0.1:8443, not "nowhere"',
      'HIY_ACME_CA must be the https:// URL of an ACME directory, not "http://plain/dir"',
      `HIY_ACME_CA_ROOT ${notPem}: no PEM certificate in it`,
      'HIY_ACME_EMAIL must be an e-mail address, not "nobody"',
    ]);
    assert.deepEqual(tlsSettings({ HIY_ACME_CA_ROOT: join(dir, 'missing.pem') }).problems, [
      `HIY_ACME_CA_ROOT ${join(dir, 'missing.pem')}: no such file`,
    ]);
    assert.deepEqual(tlsSettings({ HIY_TLS: 'internal', HIY_ACME_EMAIL: 'a@b.example' }).problems, [
      'HIY_ACME_CA, HIY_ACME_CA_ROOT and HIY_ACME_EMAIL apply only to HIY_TLS=acme, not internal',
    ]);
  });

  it('refuses an unknown mode at start-up with one line', () => {
    assert.throws(
      () => settingsFrom({}, { HIY_TLS: 'letsencrypt' }, false),
      (err) =>
        err instanceof UsageError &&
        err.message === 'HIY_TLS must be acme, internal or off, not "letsencrypt"',
    );
  });
});
