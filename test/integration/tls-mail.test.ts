// Mail uses the same certificate as HTTPS: the email port asks for mail.test's certificate (spec.tls.certificateFor),
// HIY mounts the files HIY_TLS=internal's Caddy holds, and STARTTLS presents the one https://mail.test serves.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness } from '../support/hiy.js';
import { makeLeaf, type TestCa } from '../support/openssl.js';
import { ensurePortImage } from '../support/portImages.js';
import { freePort, waitFor } from '../support/ports.js';
import { curlHttps, presentedCertificate, writePem } from '../support/tls.js';

const HOST = 'mail.test';

const mailYaml = (image: string, smtp: number, submission: number) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: mail
spec:
  image: ${image}
  env: { DOMAIN: example.test, MAIL_HOSTNAME: mail.test }
  secretEnv: { MAIL_USERS: mail-users }
  tls:
    certificateFor: ${HOST}
  ports:
    - { containerPort: 25, hostPort: ${smtp}, hostIP: 127.0.0.1 }
    - { containerPort: 587, hostPort: ${submission}, hostIP: 127.0.0.1 }
  stopGracePeriod: 10s
`;

/** The leaf certificate `openssl s_client -starttls smtp` was shown, verified against `caFile`. */
async function starttlsCertificate(port: number, caFile: string) {
  const r = await execa(
    'openssl',
    [
      's_client',
      '-starttls',
      'smtp',
      '-connect',
      `127.0.0.1:${port}`,
      '-servername',
      HOST,
      '-verify_hostname',
      HOST,
      '-CAfile',
      caFile,
      '-verify_return_error',
    ],
    { input: 'QUIT\r\n', reject: false, all: true, timeout: 30_000 },
  );
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)?.[0];
  return { exitCode: r.exitCode, output: r.all ?? '', cert: pem ? new X509Certificate(pem) : undefined };
}

describe('the email port with the certificate Caddy holds for its host (HIY_TLS=internal)', () => {
  let h: Harness;
  let smtp: number;
  let submission: number;
  const container = () => `hiy-${h.instance}-mail`;
  const httpsPort = () => Number(String(h.env['HIY_HTTPS_ADDR']).split(':').pop());

  before(async () => {
    h = await startHarness();
    Object.assign(h.env, { HIY_TLS: 'internal', HIY_CADDY_DATA_DIR: h.caddy.dataDir });
    smtp = await freePort();
    submission = await freePort();
    const hash = (await execa('openssl', ['passwd', '-6', '-stdin'], { input: 'a password' })).stdout.trim();
    const users = join(h.root, 'mail-users');
    await writeFile(users, `alice:{SHA512-CRYPT}${hash}\n`, { mode: 0o600 });
    const set = await h.hiy(['secret', 'set', 'mail-users', '--from-file', users]);
    assert.equal(set.code, 0, set.err);
  });
  after(() => h.cleanup());

  it("STARTTLS presents Caddy's certificate for mail.test, verified against the internal root", async () => {
    await h.commit({ 'ports/mail.yaml': mailYaml(await ensurePortImage('email'), smtp, submission) });
    const first = await h.hiy(['apply']);
    assert.equal(first.code, 0, first.out + first.err);
    // Caddy gets the host's certificate once its name is in the config (a route without upstream).
    const crt = join(h.caddy.dataDir, 'certificates', 'local', HOST, `${HOST}.crt`);
    await waitFor(
      async () =>
        access(crt).then(
          () => true,
          () => false,
        ),
      {
        what: `Caddy's certificate for ${HOST} at ${crt}`,
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    // The port runs with it from the apply that sees it (the first one, or the next: issuance is asynchronous).
    const second = await h.hiy(['apply']);
    assert.equal(second.code, 0, second.out + second.err);
    const env = await execa('podman', ['exec', container(), 'printenv', 'TLS_CERT_FILE', 'TLS_KEY_FILE']);
    assert.equal(env.stdout.trim(), `/run/hiy-certificate/${HOST}.crt\n/run/hiy-certificate/${HOST}.key`);
    const plan = await h.hiy(['plan', '--json']);
    assert.equal(plan.code, 0, plan.err);
    assert.deepEqual(
      JSON.parse(plan.out).actions,
      [],
      'nothing left to do once the port has the certificate',
    );

    const ca = await h.hiy(['ca']);
    assert.equal(ca.code, 0, ca.err);
    const caFile = await writePem(join(h.root, 'root.pem'), ca.out);
    const mail = await waitFor(
      async () => {
        const r = await starttlsCertificate(submission, caFile);
        return r.exitCode === 0 && r.cert ? r : undefined;
      },
      {
        what: `STARTTLS on 127.0.0.1:${submission} verified for ${HOST}`,
        timeoutMs: 90_000,
        intervalMs: 500,
      },
    );
    assert.ok(mail, 'STARTTLS answered with a verified certificate');
    assert.match(mail.output, /Verify return code: 0 \(ok\)/);
    const smtpMail = await starttlsCertificate(smtp, caFile);
    assert.equal(smtpMail.exitCode, 0, smtpMail.output);

    // The very certificate https://mail.test serves (a verified handshake; the host has no HTTP service: 404).
    const https = await curlHttps(httpsPort(), HOST, caFile);
    assert.equal(https.status, 404, https.err);
    const served = await presentedCertificate(httpsPort(), HOST);
    assert.equal(mail.cert!.fingerprint256, served.fingerprint256);
    assert.equal(smtpMail.cert!.fingerprint256, served.fingerprint256);
    assert.ok(served.checkHost(HOST));

    // The key is mounted read-only: the port cannot change what Caddy holds.
    const write = await execa('podman', ['exec', container(), 'touch', `/run/hiy-certificate/${HOST}.crt`], {
      reject: false,
    });
    assert.notEqual(write.exitCode, 0);
  });

  it("a renewal (new files in Caddy's storage) replaces the container, which then presents the new certificate", async () => {
    // What a renewal leaves in the storage: a new leaf from the same CA (Caddy's internal intermediate) and key.
    const pki = join(h.caddy.dataDir, 'pki', 'authorities', 'local');
    const work = join(h.root, 'renewal');
    await mkdir(work);
    const intermediate = await readFile(join(pki, 'intermediate.crt'), 'utf8');
    const ca: TestCa = {
      dir: work,
      certFile: join(pki, 'intermediate.crt'),
      keyFile: join(pki, 'intermediate.key'),
      pem: intermediate,
    };
    const renewed = await makeLeaf(ca, 'renewed', [HOST], { days: 7 });
    const folder = join(h.caddy.dataDir, 'certificates', 'local', HOST);
    await writeFile(join(folder, `${HOST}.key`), renewed.key, { mode: 0o600 });
    await writeFile(join(folder, `${HOST}.crt`), `${renewed.leaf}${intermediate}`);

    const plan = await h.hiy(['plan', '--json']);
    assert.equal(plan.code, 0, plan.err);
    const actions = JSON.parse(plan.out).actions as { kind: string; reason: string }[];
    assert.deepEqual(
      actions.map((a) => a.kind),
      ['container.replace'],
    );
    assert.match(actions[0]!.reason, /certificate/);
    const apply = await h.hiy(['apply']);
    assert.equal(apply.code, 0, apply.out + apply.err);

    const caFile = join(h.root, 'root.pem');
    const mail = await waitFor(
      async () => {
        const r = await starttlsCertificate(submission, caFile);
        return r.exitCode === 0 && r.cert ? r : undefined;
      },
      { what: `STARTTLS on 127.0.0.1:${submission} after the renewal`, timeoutMs: 90_000, intervalMs: 500 },
    );
    assert.ok(mail, 'STARTTLS answered after the renewal');
    assert.equal(mail.cert!.fingerprint256, new X509Certificate(renewed.leaf).fingerprint256);
  });
});
