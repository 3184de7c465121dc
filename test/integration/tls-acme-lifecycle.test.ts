// ACME beyond the first certificate, against a real Pebble: a name the CA refuses is a CertificateReady=False
// condition on its resource (plain HTTP keeps redirecting), a short-lived certificate is renewed and served, and
// a daemon whose ACME directory does not answer refuses to start in one line.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkAcmeDirectory } from '../../src/drivers/acme/directory.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { type RunningPebble, startPebble } from '../support/pebble.js';
import { freePort, waitFor } from '../support/ports.js';
import { curlHttps, presentedCertificate, writePem } from '../support/tls.js';

/** Caddy's log lines worth reading when a renewal does not happen: errors, warnings and the renewal's own steps. */
function renewalLog(h: Harness): string {
  return h.caddy
    .output()
    .split('\n')
    .filter((l) => /"level":"(error|warn)"|renew|obtain|lock/.test(l) && !/queuing for renewal/.test(l))
    .slice(-40)
    .join('\n');
}

function httpsPort(h: Harness): number {
  return Number(String(h.env['HIY_HTTPS_ADDR']).split(':').pop());
}

interface StatusJson {
  resources: {
    id: string;
    conditions: { type: string; status: string; reason: string; message: string }[];
  }[];
}

describe('HIY_TLS=acme against Pebble: refusal, renewal, start-up check', () => {
  let h: Harness;
  let pebble: RunningPebble;
  let rootFile: string;
  const good = 'renew.acme.test';
  const refused = 'refused.acme.test';

  before(async () => {
    h = await startHarness({ 'web.yaml': webPort('web', good, { text: 'renewed' }) });
    // Certificates live 60 s: Caddy renews them once a third of that is left.
    pebble = await startPebble({ httpPort: h.caddy.httpPort, validitySeconds: 60, blocklist: [refused] });
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

  it('a name Pebble refuses: CertificateReady=False on its resource, no plain-HTTP fallback; the other host is served', async () => {
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    rootFile = await writePem(join(h.root, 'pebble-root.pem'), await pebble.issuingRoot());
    await waitFor(
      async () => ((await curlHttps(httpsPort(h), good, rootFile)).status === 200 ? true : undefined),
      { what: `https://${good} with Pebble's certificate`, timeoutMs: 90_000, intervalMs: 500 },
    ).catch((err) => {
      throw new Error(
        `${err.message}\ncaddy: ${h.caddy.output().slice(-3000)}\npebble: ${pebble.output().slice(-2000)}`,
      );
    });
    // The refused name comes in a second commit: this file is about refusal and renewal with an account in
    // place; a first apply with several hosts (Caddy 2.6.2's account race) is tls-acme-account.test.ts.
    await h.commit({ 'bad.yaml': webPort('bad', refused, { text: 'refused' }) });
    const second = await h.hiy(['apply']);
    assert.equal(second.code, 0, second.out + second.err);
    // Caddy logs the CA's answer (RFC 8555 rejectedIdentifier) and keeps retrying.
    await waitFor(() => (/rejectedIdentifier/.test(h.caddy.output()) ? true : undefined), {
      what: "Caddy to log Pebble's refusal of the blocked name",
      timeoutMs: 60_000,
      intervalMs: 500,
    }).catch((err) => {
      throw new Error(`${err.message}\ncaddy: ${h.caddy.output().slice(-4000)}`);
    });
    const status = JSON.parse((await h.hiy(['status', '--json'])).out) as StatusJson;
    const cond = (id: string) =>
      status.resources.find((x) => x.id === id)?.conditions.find((c) => c.type === 'CertificateReady');
    assert.equal(cond('port/bad')?.status, 'False');
    assert.equal(cond('port/bad')?.reason, 'NoCertificate');
    assert.match(
      cond('port/bad')?.message ?? '',
      /no certificate is served for refused\.acme\.test: the ACME issuance has not succeeded/,
    );
    assert.equal(cond('port/web')?.status, 'True');
    // Pebble's 60 s certificate is well within 14 days of its end.
    assert.equal(cond('port/web')?.reason, 'ExpiresSoon');
    assert.match(cond('port/web')?.message ?? '', /Pebble Intermediate CA/);
    const text = await h.hiy(['status']);
    assert.match(text.out, /port\/bad .*no certificate is served for refused\.acme\.test/);
    // Never a silent fallback: plain HTTP still redirects, HTTPS fails the handshake.
    assert.equal((await h.get(refused, '/')).status, 308);
    assert.equal((await curlHttps(httpsPort(h), refused, rootFile)).status, 0);
  });

  it('a certificate near its end is renewed: HTTPS keeps serving, with the new certificate', async () => {
    const first = await presentedCertificate(httpsPort(h), good);
    // Caddy checks for renewals every 10 minutes by default; its own global setting (HIY leaves it alone) makes
    // that 1 s here, so the renewal is seen within the certificate's 60 s.
    const res = await fetch(`${h.caddy.adminUrl}/config/apps/tls/automation/renew_interval`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify('1s'),
    });
    assert.equal(res.status, 200, await res.text());
    const renewed = await waitFor(
      async () => {
        const now = await presentedCertificate(httpsPort(h), good);
        return now.serialNumber !== first.serialNumber ? now : undefined;
      },
      // A renewal attempt that fails (a busy box: the CA's validation request timing out) is retried by Caddy 1 min
      // and then 2 min later (certmagic's retry intervals), whatever the certificate's lifetime: the deadline
      // covers three attempts.
      { what: 'a renewed certificate', timeoutMs: 240_000, intervalMs: 1000 },
    ).catch((err) => {
      throw new Error(`${err.message}\ncaddy: ${renewalLog(h)}\npebble: ${pebble.output().slice(-3000)}`);
    });
    assert.ok(renewed);
    assert.match(renewed.issuer, /Pebble Intermediate CA/);
    assert.ok(Date.parse(renewed.validTo) > Date.parse(first.validTo));
    const got = await curlHttps(httpsPort(h), good, rootFile);
    assert.equal(got.status, 200, got.err);
    assert.equal(got.body.trim(), 'renewed:hello');
    // The renewal changed nothing HIY owns: the next plan is empty.
    const plan = await h.hiy(['plan', '--json']);
    assert.equal(plan.code, 0, plan.err);
    assert.deepEqual(JSON.parse(plan.out).actions, []);
  });

  it('the daemon refuses to start when the ACME directory does not answer, in one line', async () => {
    await checkAcmeDirectory({ ca: pebble.directory, caRoot: pebble.listenerCaFile });
    const closed = `https://127.0.0.1:${await freePort()}/dir`;
    const r = await h.hiy(['daemon'], { HIY_ACME_CA: closed });
    assert.equal(r.code, 1, r.out + r.err);
    assert.equal(
      r.err,
      `error: HIY_ACME_CA: the ACME directory ${closed} does not answer: connection refused\n`,
    );
    // Pebble's directory without its root trusted: refused too, naming why.
    const untrusted = await h.hiy(['daemon'], { HIY_ACME_CA_ROOT: '' });
    assert.equal(untrusted.code, 1, untrusted.out + untrusted.err);
    assert.match(
      untrusted.err,
      /^error: HIY_ACME_CA: the ACME directory https:\/\/127\.0\.0\.1:\d+\/dir does not answer: .*certificate/,
    );
  });
});
