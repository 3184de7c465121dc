// The email port deployed by HIY (DOMAIN, a MAIL_USERS secret, published host ports): real smtplib, imaplib and
// poplib; no open relay, no sending as someone else, no asking which mailboxes exist; the mailbox and the certificate
// survive an upgrade of the port.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness } from '../../support/hiy.js';
import { testInstance } from '../../support/podman.js';
import { ensurePortImage, PortTestbed } from '../../support/portImages.js';
import { freePort } from '../../support/ports.js';

const PASSWORD = 'correct horse battery staple';
/** Container port → the client's name for it. */
const PORTS = { 25: 'SMTP', 587: 'SUBMISSION', 143: 'IMAP', 110: 'POP3' } as const;

/** Python's own mail clients (the ones users' scripts use); STARTTLS with the generated certificate, unverified. */
const CLIENT = String.raw`
import imaplib, os, poplib, smtplib, ssl, sys, time
from email.message import EmailMessage
host = "127.0.0.1"
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = {k: int(os.environ[k]) for k in ("SMTP", "SUBMISSION", "IMAP", "POP3")}
user, pw, domain, what = os.environ["MAIL_USER"], os.environ["MAIL_PASSWORD"], os.environ["MAIL_DOMAIN"], sys.argv[1]

def imap_subjects():
    m = imaplib.IMAP4(host, p["IMAP"]); m.starttls(ssl_context=ctx); m.login(user, pw); m.select("INBOX")
    _, ids = m.search(None, "ALL"); out = []
    for i in ids[0].split():
        _, data = m.fetch(i, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"); out.append(data[0][1].decode().strip())
    m.logout(); return out

if what == "send":
    msg = EmailMessage(); msg["From"] = f"{user}@{domain}"; msg["To"] = f"{user}@{domain}"
    msg["Subject"] = "hello from smtplib"; msg.set_content("a real message\n")
    s = smtplib.SMTP(host, p["SUBMISSION"], timeout=20); s.starttls(context=ctx); s.login(user, pw); s.send_message(msg); s.quit()
    deadline = time.time() + 60
    while "Subject: hello from smtplib" not in imap_subjects():
        if time.time() > deadline: sys.exit("the message did not arrive in the mailbox")
        time.sleep(0.3)
    pop = poplib.POP3(host, p["POP3"], timeout=20); pop.stls(context=ctx); pop.user(user); pop.pass_(pw)
    count, _ = pop.stat(); body = b"\n".join(pop.retr(count)[1]).decode(); pop.quit()
    assert "a real message" in body, body
    print("sent and read", count)
elif what == "relay":
    s = smtplib.SMTP(host, p["SMTP"], timeout=20); s.ehlo("stranger.example")
    s.mail("someone@stranger.example"); code, reply = s.rcpt("victim@elsewhere.example"); s.quit()
    print("relay", code, reply.decode())
    s = smtplib.SMTP(host, p["SUBMISSION"], timeout=20); s.starttls(context=ctx); s.ehlo("stranger.example")
    s.mail("someone@stranger.example"); code2, reply2 = s.rcpt("victim@elsewhere.example"); s.quit()
    print("submission-unauthenticated", code2, reply2.decode())
    s = smtplib.SMTP(host, p["SMTP"], timeout=20); s.ehlo("friend.example")
    s.sendmail("friend@friend.example", [f"{user}@{domain}"], "Subject: incoming\n\nfrom outside\n"); s.quit()
    print("incoming accepted")
    try:
        m = imaplib.IMAP4(host, p["IMAP"]); m.login(user, pw); print("plaintext imap login allowed")
    except imaplib.IMAP4.error as e:
        print("plaintext imap login refused", e)
elif what == "senders":
    s = smtplib.SMTP(host, p["SUBMISSION"], timeout=20); s.starttls(context=ctx); s.login(user, pw)
    for sender in (f"bob@{domain}", "someone@elsewhere.example", f"{user}@{domain}", f"{user}+tag@{domain}"):
        s.mail(sender); code, reply = s.rcpt(f"bob@{domain}"); s.rset()
        print("sender", sender, code, reply.decode())
    s.quit()
elif what == "vrfy":
    s = smtplib.SMTP(host, p["SMTP"], timeout=20); s.ehlo("prober.example")
    for name in (user, "nobody"):
        code, reply = s.verify(f"{name}@{domain}"); print("vrfy", name, code, reply.decode())
    s.quit()
elif what == "guess":
    s = smtplib.SMTP(host, p["SMTP"], timeout=60); s.ehlo("prober.example"); s.mail("x@prober.example")
    codes = [s.rcpt(f"{user}@{domain}")[0]]; t0 = time.time()
    try:
        for i in range(10):
            code = s.rcpt(f"nobody{i}@{domain}")[0]; codes.append(code)
            if code == 421: break
    except smtplib.SMTPServerDisconnected:
        codes.append("closed")
    print("guess", " ".join(map(str, codes)), "%.1f" % (time.time() - t0))
elif what == "list":
    print("\n".join(imap_subjects()))
`;

const mailYaml = (image: string, hostPorts: Map<number, number>) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: mail
spec:
  image: ${image}
  env: { DOMAIN: example.org }
  secretEnv: { MAIL_USERS: mail-users }
  ports:
${[...hostPorts].map(([c, p]) => `    - { containerPort: ${c}, hostPort: ${p}, hostIP: 127.0.0.1 }`).join('\n')}
  stopGracePeriod: 10s
`;

describe('the email port deployed by HIY', () => {
  let h: Harness;
  let upgrade: string | undefined;
  let hash: string;
  const hostPorts = new Map<number, number>();
  const container = () => `hiy-${h.instance}-mail`;
  const exec = async (argv: string[]) => {
    const r = await execa('podman', ['exec', container(), ...argv], { reject: false, all: true });
    return { exitCode: r.exitCode ?? -1, output: r.all ?? '' };
  };
  const logs = async () => (await execa('podman', ['logs', container()], { reject: false, all: true })).all;
  const certificate = () =>
    exec(['openssl', 'x509', '-noout', '-fingerprint', '-in', '/var/lib/hiy-mail/tls/cert.pem']);

  async function client(what: string) {
    return execa('python3', ['-c', CLIENT, what], {
      env: {
        ...Object.fromEntries(Object.entries(PORTS).map(([c, n]) => [n, String(hostPorts.get(Number(c)))])),
        MAIL_USER: 'alice',
        MAIL_PASSWORD: PASSWORD,
        MAIL_DOMAIN: 'example.org',
      },
      reject: false,
      all: true,
    });
  }

  before(async () => {
    h = await startHarness();
    for (const c of Object.keys(PORTS)) hostPorts.set(Number(c), await freePort());
    hash = (await execa('openssl', ['passwd', '-6', '-stdin'], { input: PASSWORD })).stdout.trim();
    const users = join(h.root, 'mail-users');
    await writeFile(users, `# mailboxes\nalice:{SHA512-CRYPT}${hash}\nbob:{SHA512-CRYPT}${hash}\n`, {
      mode: 0o600,
    });
    const set = await h.hiy(['secret', 'set', 'mail-users', '--from-file', users]);
    assert.equal(set.code, 0, set.err);
  });
  after(async () => {
    await h.cleanup();
    if (upgrade) await execa('podman', ['rmi', '-f', upgrade], { reject: false });
  });

  it('submission with auth, IMAP and POP3 read it; no open relay', async () => {
    await h.commit({ 'ports/mail.yaml': mailYaml(await ensurePortImage('email'), hostPorts) });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    const inspect = await execa('podman', ['inspect', container()]);
    assert.ok(!inspect.stdout.includes(hash), 'MAIL_USERS is in no podman inspect');

    const sent = await client('send');
    assert.equal(sent.exitCode, 0, `${sent.all}\n${await logs()}`);
    assert.match(sent.stdout, /sent and read 1/);

    const relay = await client('relay');
    assert.equal(relay.exitCode, 0, relay.all);
    assert.match(relay.stdout, /^relay 554 .*Relay access denied/m);
    assert.match(relay.stdout, /^submission-unauthenticated 554 /m);
    assert.match(relay.stdout, /^incoming accepted$/m);
    assert.match(relay.stdout, /^plaintext imap login refused/m);
    // Not even from the container's own loopback (what some port forwarders make every client look like).
    const inside = await exec([
      'bash',
      '-c',
      [
        'exec 3<>/dev/tcp/127.0.0.1/25; read -r l <&3',
        "printf 'EHLO inside\\r\\n' >&3; while read -r l <&3; do [[ $l == '250 '* ]] && break; done",
        "printf 'MAIL FROM:<a@inside.example>\\r\\n' >&3; read -r l <&3",
        "printf 'RCPT TO:<victim@elsewhere.example>\\r\\n' >&3; read -r l <&3; echo \"$l\"; printf 'QUIT\\r\\n' >&3",
      ].join('\n'),
    ]);
    assert.match(inside.output, /^554 .*Relay access denied/);
  });

  it('a signed-in user sends only as their own address; VRFY is off; guessing recipients is slowed, then cut off', async () => {
    const senders = await client('senders');
    assert.equal(senders.exitCode, 0, `${senders.all}\n${await logs()}`);
    // alice may not use bob's address, nor one outside the domain; her own (with an extension) is fine.
    assert.match(senders.stdout, /^sender bob@example\.org 553 .*not owned by user alice/m);
    assert.match(senders.stdout, /^sender someone@elsewhere\.example 553 .*not owned by user alice/m);
    assert.match(senders.stdout, /^sender alice@example\.org 250 /m);
    assert.match(senders.stdout, /^sender alice\+tag@example\.org 250 /m);

    const vrfy = await client('vrfy');
    assert.equal(vrfy.exitCode, 0, vrfy.all);
    const replies = [...vrfy.stdout.matchAll(/^vrfy (\S+) (\d+) (.*)$/gm)].map((m) => `${m[2]} ${m[3]}`);
    assert.equal(replies.length, 2, vrfy.stdout);
    assert.match(replies[0]!, /^502 .*VRFY command is disabled/);
    assert.equal(replies[1], replies[0], 'an existing and an unknown mailbox get the same reply');

    // Unknown recipients are refused (never accepted and bounced: no backscatter), but after 2 errors each reply
    // waits 2 s and the 5th error ends the session: a guess costs seconds and a new connection (rate-limited).
    const guess = await client('guess');
    assert.equal(guess.exitCode, 0, guess.all);
    const [, codes, seconds] = /^guess (.*) (\d+\.\d)$/m.exec(guess.stdout) ?? [];
    assert.match(codes ?? '', /^250 550 550 550 550 550 (421|closed)$/, guess.stdout);
    assert.ok(Number(seconds) >= 5.5, `guessing 6 recipients took ${seconds} s`);
  });

  it('after an upgrade of the port the mailbox still holds the messages and the certificate is the same', async () => {
    const cert = await certificate();
    assert.equal(cert.exitCode, 0, cert.output);
    upgrade = await ensurePortImage('email', '1.1.1-test');
    await h.commit({ 'ports/mail.yaml': mailYaml(upgrade, hostPorts) });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    const image = await execa('podman', ['inspect', '--format', '{{.ImageName}}', container()]);
    assert.equal(image.stdout.trim(), upgrade);

    const listed = await client('list');
    assert.equal(listed.exitCode, 0, listed.all);
    assert.match(listed.stdout, /Subject: hello from smtplib/);
    assert.match(listed.stdout, /Subject: incoming/);
    assert.equal((await certificate()).output, cert.output, 'the certificate is made once');
  });

  it('a broken MAIL_USERS fails the deploy with the check hook output; the running version keeps serving', async () => {
    const running = (await execa('podman', ['inspect', '--format', '{{.Id}}', container()])).stdout;
    const users = join(h.root, 'mail-users');
    await writeFile(users, `alice:{SHA512-CRYPT}${hash}\nbob:plaintext\n`, { mode: 0o600 });
    assert.equal((await h.hiy(['secret', 'set', 'mail-users', '--from-file', users])).code, 0);
    const r = await h.hiy(['apply']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /check hook of port email 1\.1\.1-test failed/);
    assert.match(r.err, /MAIL_USERS line 2 \(bob\) has no usable password hash/);
    assert.ok(!(r.out + r.err).includes(hash), 'no hash is printed');
    assert.equal((await execa('podman', ['inspect', '--format', '{{.Id}}', container()])).stdout, running);
    const listed = await client('list');
    assert.equal(listed.exitCode, 0, listed.all);
    assert.match(listed.stdout, /Subject: hello from smtplib/);
  });
});

/** The check hook itself, in one-off containers of the image (what HIY runs before a first start). */
describe('the email check hook', () => {
  const bed = new PortTestbed(testInstance('pmail'));
  after(() => bed.cleanup());

  it('names DOMAIN, the bad MAIL_USERS lines (without printing hashes) and a mismatched TLS pair; doveadm pw makes hashes', async () => {
    const image = await ensurePortImage('email');
    const r = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
      env: {
        MAIL_USERS: 'alice:{SHA512-CRYPT}$6$salt$hash\nbob:plaintext\nalice:{SHA512-CRYPT}$6$x$y\nBad User',
      },
    });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.output, /DOMAIN is empty: it must hold the mail domain/);
    assert.match(r.output, /MAIL_USERS line 2 \(bob\) has no usable password hash/);
    assert.match(r.output, /MAIL_USERS line 3 repeats the user alice \(first on line 1\)/);
    assert.match(r.output, /MAIL_USERS line 4 does not start with a user name/);
    assert.doesNotMatch(r.output, /\$6\$/);

    // The image makes hashes itself (the README's way to add a mailbox), and they pass the check.
    const pw = await bed.hook(image, 'check', ['doveadm', 'pw', '-s', 'SHA512-CRYPT', '-p', 'a password']);
    assert.equal(pw.exitCode, 0, pw.output);
    assert.match(pw.output.trim(), /^\{SHA512-CRYPT\}\$6\$/);

    // A certificate given by path must come with its own key.
    const certs = { certs: '/certs' };
    const made = await bed.hook(
      image,
      'check',
      [
        'bash',
        '-c',
        'cd /certs && for n in a b; do openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=$n -keyout $n.key -out $n.pem 2>/dev/null; done',
      ],
      { volumes: certs },
    );
    assert.equal(made.exitCode, 0, made.output);
    const env = { DOMAIN: 'example.org', MAIL_USERS: `alice:${pw.output.trim()}` };
    const mismatched = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
      env: { ...env, TLS_CERT_FILE: '/certs/a.pem', TLS_KEY_FILE: '/certs/b.key' },
      volumes: certs,
    });
    assert.notEqual(mismatched.exitCode, 0);
    assert.match(mismatched.output, /TLS_KEY_FILE is not the private key of TLS_CERT_FILE/);
    const alone = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
      env: { ...env, TLS_CERT_FILE: '/certs/a.pem' },
      volumes: certs,
    });
    assert.match(alone.output, /TLS_CERT_FILE and TLS_KEY_FILE must be given together/);
    const good = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
      env: { ...env, TLS_CERT_FILE: '/certs/a.pem', TLS_KEY_FILE: '/certs/a.key' },
      volumes: certs,
    });
    assert.equal(good.exitCode, 0, good.output);
  });
});
