// The port-upgrade-email benchmark's mailbox: Maildir messages written into the mail volume, counted over IMAP.
import { randomBytes } from 'node:crypto';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** The email port's mailbox owner (`vmail`, ports/email/hiy/image-setup). */
const VMAIL = 5000;

/** One message of `size` bytes or a little more: headers and an incompressible base64 body in 76-column lines. */
function message(n: number, user: string, domain: string, size: number): string {
  const body = randomBytes(Math.ceil((size * 3) / 4))
    .toString('base64')
    .replace(/.{76}/g, '$&\n');
  return [
    `Return-Path: <sender${n % 37}@elsewhere.example>`,
    `Delivered-To: ${user}@${domain}`,
    `From: Sender ${n % 37} <sender${n % 37}@elsewhere.example>`,
    `To: ${user}@${domain}`,
    `Subject: message ${n}`,
    `Date: ${new Date(Date.UTC(2026, 0, 1) + n * 60_000).toUTCString()}`,
    `Message-ID: <bench-${n}@elsewhere.example>`,
    'MIME-Version: 1.0',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    body,
    '',
  ].join('\n');
}

/**
 * Puts `count` messages in USER's Maildir `new/` through the volume's host mountpoint (the benchmarks run as root),
 * owned by vmail as Dovecot's LMTP would leave them: 1–16 KiB each. Returns the bytes written.
 */
export async function fillMaildir(
  mountpoint: string,
  user: string,
  domain: string,
  count: number,
): Promise<number> {
  const home = join(mountpoint, user);
  const maildir = join(home, 'Maildir');
  for (const dir of [home, maildir, ...['cur', 'new', 'tmp'].map((d) => join(maildir, d))]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chown(dir, VMAIL, VMAIL);
  }
  const now = Math.floor(Date.now() / 1000);
  let bytes = 0;
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async (_, k) => {
        const n = i + k;
        const text = message(n, user, domain, 1024 + ((n * 7919) % (15 * 1024)));
        const size = Buffer.byteLength(text);
        bytes += size;
        const file = join(maildir, 'new', `${now}.M${n}P1.bench,S=${size}`);
        await writeFile(file, text, { mode: 0o600 });
        await chown(file, VMAIL, VMAIL);
      }),
    );
  }
  return bytes;
}

/** SELECT INBOX over IMAP with STARTTLS (the port's self-signed certificate, unverified): the message count. */
const COUNT = `
import imaplib, os, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4("127.0.0.1", int(os.environ["IMAP"]), timeout=30); m.starttls(ssl_context=ctx)
m.login(os.environ["MAIL_USER"], os.environ["MAIL_PASSWORD"])
typ, data = m.select("INBOX")
assert typ == "OK", (typ, data)
print(int(data[0])); m.logout()
`;

/** How many messages a mail client sees in USER's INBOX (python3's imaplib, as the email port's tests use). */
export async function imapCount(imapPort: number, user: string, password: string): Promise<number> {
  const r = await execa('python3', ['-c', COUNT], {
    env: { IMAP: String(imapPort), MAIL_USER: user, MAIL_PASSWORD: password },
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) throw new Error(`IMAP count failed: ${String(r.all).slice(-1000)}`);
  return Number(String(r.stdout).trim());
}
