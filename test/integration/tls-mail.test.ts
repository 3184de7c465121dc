// Mail uses the same certificate as HTTPS: the email port asks for mail.test's certificate (spec.tls.certificateFor),
// HIY mounts the folder HIY_TLS=internal's Caddy holds, and STARTTLS presents the one https://mail.test serves: on
// a fresh Caddy data dir the daemon converges without a second apply, and a renewal is reloaded by the SAME container.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import type { ControllerEvent } from '../../src/model/events.js';
import { type Daemon, startDaemon } from '../../src/reconcile/index.js';
import { type Harness, startHarness } from '../support/hiy.js';
import { makeLeaf, type TestCa } from '../support/openssl.js';
import { ensurePortImage } from '../support/portImages.js';
import { freePort, waitFor } from '../support/ports.js';
import { curlHttps, presentedCertificate, writePem } from '../support/tls.js';

const HOST = 'mail.test';

interface MailPorts {
  smtp: number;
  submission: number;
  imap: number;
}

const mailYaml = (image: string, p: MailPorts) => `apiVersion: hiy/v1
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
    - { containerPort: 25, hostPort: ${p.smtp}, hostIP: 127.0.0.1 }
    - { containerPort: 587, hostPort: ${p.submission}, hostIP: 127.0.0.1 }
    - { containerPort: 143, hostPort: ${p.imap}, hostIP: 127.0.0.1 }
  stopGracePeriod: 10s
`;

/** The leaf certificate `openssl s_client -starttls PROTO` was shown, verified against `caFile`. */
async function starttlsCertificate(port: number, caFile: string, proto: 'smtp' | 'imap' = 'smtp') {
  const r = await execa(
    'openssl',
    [
      's_client',
      '-starttls',
      proto,
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
    { input: proto === 'smtp' ? 'QUIT\r\n' : 'a LOGOUT\r\n', reject: false, all: true, timeout: 30_000 },
  );
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)?.[0];
  return { exitCode: r.exitCode, output: r.all ?? '', cert: pem ? new X509Certificate(pem) : undefined };
}

/** The mail container's id and start time, as Podman reports them. */
async function containerState(name: string): Promise<{ id: string; startedAt: string }> {
  const r = await execa('podman', ['container', 'inspect', '--format', '{{.Id}} {{.State.StartedAt}}', name]);
  const [id, ...started] = r.stdout.trim().split(' ');
  return { id: id!, startedAt: started.join(' ') };
}

describe('the email port with the certificate Caddy holds for its host (HIY_TLS=internal)', () => {
  let h: Harness;
  let ports: MailPorts;
  let daemon: Daemon | undefined;
  const events: ControllerEvent[] = [];
  const container = () => `hiy-${h.instance}-mail`;
  const httpsPort = () => Number(String(h.env['HIY_HTTPS_ADDR']).split(':').pop());
  const caFile = () => join(h.root, 'root.pem');
  const folder = () => join(h.caddy.dataDir, 'certificates', 'local', HOST);

  /** A daemon whose resync never comes during the test: only its start-up run and certificate watch act. */
  const startTheDaemon = async () => {
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    daemon = await startDaemon({ engine, resync: '0 0 0 1 1 *' });
    daemon.subscribe((e) => events.push(e));
  };
  const stopTheDaemon = async () => {
    await daemon?.stop();
    daemon = undefined;
  };
  const certificateRuns = () =>
    events.filter(
      (e) =>
        e.type === 'reconcile.started' &&
        (e.data?.triggers as string[] | undefined)?.includes(`certificate:${HOST}`),
    );

  /** STARTTLS on `port` verified against the internal root, presenting `fingerprint` when given. */
  const verifiedStarttls = (
    port: number,
    what: string,
    fingerprint?: string,
    proto?: 'smtp' | 'imap',
    timeoutMs = 120_000,
  ) =>
    waitFor(
      async () => {
        const r = await starttlsCertificate(port, caFile(), proto);
        if (r.exitCode !== 0 || !r.cert) return undefined;
        return !fingerprint || r.cert.fingerprint256 === fingerprint ? r : undefined;
      },
      { what, timeoutMs, intervalMs: 500 },
    );

  /**
   * A renewal as Caddy leaves it in its storage: a new leaf from the same CA (Caddy's internal intermediate) and
   * its key, the key first, each written to a new file renamed over the old one (a new inode, as recent Caddy
   * writes: a bind mount of the file would keep showing the old one). Returns the new leaf's fingerprint.
   */
  const renew = async (name: string): Promise<string> => {
    const pki = join(h.caddy.dataDir, 'pki', 'authorities', 'local');
    const work = join(h.root, name);
    await mkdir(work);
    const intermediate = await readFile(join(pki, 'intermediate.crt'), 'utf8');
    const ca: TestCa = {
      dir: work,
      certFile: join(pki, 'intermediate.crt'),
      keyFile: join(pki, 'intermediate.key'),
      pem: intermediate,
    };
    const renewed = await makeLeaf(ca, name, [HOST], { days: 7 });
    const put = async (file: string, text: string) => {
      const tmp = join(folder(), `.${file}.${name}.tmp`);
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, join(folder(), file));
    };
    await put(`${HOST}.key`, renewed.key);
    await put(`${HOST}.crt`, `${renewed.leaf}${intermediate}`);
    return new X509Certificate(renewed.leaf).fingerprint256;
  };

  const writeRoot = async () => {
    const ca = await h.hiy(['ca']);
    assert.equal(ca.code, 0, ca.err);
    await writePem(caFile(), ca.out);
  };
  /** Applies until nothing is left (so a test does not depend on the one before it having converged). */
  const converge = async () => {
    for (let i = 0; i < 3; i++) {
      const plan = await h.hiy(['plan', '--json']);
      assert.equal(plan.code, 0, plan.err);
      if ((JSON.parse(plan.out).actions as unknown[]).length === 0) break;
      const apply = await h.hiy(['apply']);
      assert.equal(apply.code, 0, apply.out + apply.err);
    }
    await writeRoot();
  };

  before(async () => {
    h = await startHarness();
    Object.assign(h.env, { HIY_TLS: 'internal', HIY_CADDY_DATA_DIR: h.caddy.dataDir });
    ports = { smtp: await freePort(), submission: await freePort(), imap: await freePort() };
    const hash = (await execa('openssl', ['passwd', '-6', '-stdin'], { input: 'a password' })).stdout.trim();
    const users = join(h.root, 'mail-users');
    await writeFile(users, `alice:{SHA512-CRYPT}${hash}\n`, { mode: 0o600 });
    const set = await h.hiy(['secret', 'set', 'mail-users', '--from-file', users]);
    assert.equal(set.code, 0, set.err);
  });
  after(async () => {
    if (process.env.HIY_TEST_DEBUG) for (const e of events) console.error('EVENT', e.seq, e.type, e.message);
    await stopTheDaemon();
    await h?.cleanup();
  });

  it("on a fresh Caddy data dir the daemon serves Caddy's certificate soon after the first apply, with no second apply", async (t) => {
    await h.commit({ 'ports/mail.yaml': mailYaml(await ensurePortImage('email'), ports) });
    // The daemon's start-up run is the first apply: the port starts without the certificate (Caddy has none
    // yet), then Caddy gets one for the host named in its config (a route without upstream).
    await startTheDaemon();
    t.after(stopTheDaemon);
    const crt = join(folder(), `${HOST}.crt`);
    await waitFor(
      async () =>
        access(crt).then(
          () => true,
          () => false,
        ),
      { what: `Caddy's certificate for ${HOST} at ${crt}`, timeoutMs: 400_000, intervalMs: 100 },
    );
    const issuedAt = Date.now();
    await writeRoot();
    // The certificate watch wakes the daemon: the port is replaced once, now with the folder mounted.
    const mail = await verifiedStarttls(
      ports.submission,
      `STARTTLS on 587 verified for ${HOST}`,
      undefined,
      'smtp',
      300_000,
    );
    t.diagnostic(`STARTTLS presented Caddy's certificate ${Date.now() - issuedAt} ms after Caddy wrote it`);
    assert.ok(mail, 'STARTTLS answered with a verified certificate');
    assert.match(mail.output, /Verify return code: 0 \(ok\)/);
    // No second apply and no resync: the run after the first one mounts the certificate. It is the watch's run
    // (trigger `certificate:HOST`) on a busy box; on a quiet one a run woken by Podman's events of the first run
    // may come first and already see the certificate (the watch's wake-up then finds nothing left to do).
    const runs = events.filter((e) => e.type === 'reconcile.started');
    t.diagnostic(
      `runs: ${runs.map((e) => `${e.message} [${((e.data?.triggers as string[] | undefined) ?? []).join(', ')}]`).join('; ')}`,
    );
    const woke = certificateRuns()[0];
    if (woke) t.diagnostic(`the watch's run started ${Date.parse(woke.at) - issuedAt} ms after the issuance`);
    assert.ok(!events.some((e) => (e.data?.triggers as string[] | undefined)?.includes('resync')));
    await stopTheDaemon();

    const env = await execa('podman', ['exec', container(), 'printenv', 'TLS_CERT_FILE', 'TLS_KEY_FILE']);
    assert.equal(env.stdout.trim(), `/run/hiy-certificate/${HOST}.crt\n/run/hiy-certificate/${HOST}.key`);
    const plan = await h.hiy(['plan', '--json']);
    assert.equal(plan.code, 0, plan.err);
    assert.deepEqual(
      JSON.parse(plan.out).actions,
      [],
      'nothing left to do once the port has the certificate',
    );
    const smtpMail = await starttlsCertificate(ports.smtp, caFile());
    assert.equal(smtpMail.exitCode, 0, smtpMail.output);

    // The very certificate https://mail.test serves (a verified handshake; the host has no HTTP service: 404).
    const https = await curlHttps(httpsPort(), HOST, caFile());
    assert.equal(https.status, 404, https.err);
    const served = await presentedCertificate(httpsPort(), HOST);
    assert.equal(mail.cert!.fingerprint256, served.fingerprint256);
    assert.equal(smtpMail.cert!.fingerprint256, served.fingerprint256);
    assert.ok(served.checkHost(HOST));

    // The folder is mounted read-only: the port cannot change what Caddy holds.
    const write = await execa('podman', ['exec', container(), 'touch', `/run/hiy-certificate/${HOST}.crt`], {
      reject: false,
    });
    assert.notEqual(write.exitCode, 0);
  });

  it('a renewal is reloaded by the SAME container: the plan shows certificate.reload, then STARTTLS presents the new one', async () => {
    await converge();
    const before = await containerState(container());
    const renewed = await renew('renewed');

    const plan = await h.hiy(['plan', '--json']);
    assert.equal(plan.code, 0, plan.err);
    const actions = JSON.parse(plan.out).actions as { kind: string; address: string; change: string }[];
    assert.deepEqual(
      actions.map((a) => [a.kind, a.change]),
      [['certificate.reload', 'update']],
    );
    const text = await h.hiy(['plan']);
    assert.match(
      text.out,
      new RegExp(`~ certificate of ${HOST.replace('.', '\\.')} in container ${container()}`),
    );
    const apply = await h.hiy(['apply']);
    assert.equal(apply.code, 0, apply.out + apply.err);

    // Postfix (25, 587) and Dovecot (143) serve the renewed certificate; the container was never restarted.
    await verifiedStarttls(ports.submission, 'the renewed certificate on 587', renewed);
    await verifiedStarttls(ports.smtp, 'the renewed certificate on 25', renewed);
    await verifiedStarttls(ports.imap, 'the renewed certificate on 143 (IMAP)', renewed, 'imap');
    assert.deepEqual(await containerState(container()), before, 'the same container, never restarted');
    const again = await h.hiy(['plan', '--json']);
    assert.deepEqual(JSON.parse(again.out).actions, [], 'the reload is recorded: nothing left to do');
  });

  it('with the daemon, a renewal is reloaded within seconds, in the same container', async (t) => {
    await converge();
    await startTheDaemon();
    t.after(stopTheDaemon);
    // Its start-up run first (it would see a renewal written meanwhile itself): then only the watch can act.
    await waitFor(
      async () =>
        events.some(
          (e) =>
            /^reconcile\.(finished|failed)$/.test(e.type) &&
            (e.data?.triggers as string[] | undefined)?.includes('startup'),
        ),
      { what: "the daemon's start-up run", timeoutMs: 120_000, intervalMs: 100 },
    );
    const before = await containerState(container());
    const runsBefore = certificateRuns().length;
    const runsStartedBefore = events.filter((e) => e.type === 'reconcile.started').length;
    const renewed = await renew('renewed-again');
    const written = Date.now();
    await verifiedStarttls(ports.submission, 'the renewal the daemon reloaded, on 587', renewed);
    t.diagnostic(`the daemon had the renewal reloaded ${Date.now() - written} ms after it was written`);
    // Reloaded by a run the daemon started on its own, never a resync: the watch's run, or one woken by Podman's
    // events of the start-up run that came first and already saw the renewal.
    const later = events.filter((e) => e.type === 'reconcile.started').slice(runsStartedBefore);
    t.diagnostic(
      `runs since the renewal: ${later.map((e) => ((e.data?.triggers as string[] | undefined) ?? []).join(', ')).join('; ')} (${certificateRuns().length - runsBefore} woken by the watch)`,
    );
    assert.ok(!later.some((e) => (e.data?.triggers as string[] | undefined)?.includes('resync')));
    await stopTheDaemon();
    assert.deepEqual(await containerState(container()), before, 'the same container, never restarted');
  });
});
