// HTTPS helpers for TLS tests: curl with --cacert against a loopback port, and the certificate a server presents.
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { execa } from 'execa';

/** `curl --cacert CA https://HOST:PORT/PATH` resolved to 127.0.0.1; status 0 when the TLS handshake fails. */
export async function curlHttps(
  port: number,
  host: string,
  caFile: string,
  path = '/',
): Promise<{ status: number; body: string; err: string }> {
  const r = await execa(
    'curl',
    [
      '-sS',
      '--max-time',
      '20',
      '--cacert',
      caFile,
      '--resolve',
      `${host}:${port}:127.0.0.1`,
      '-w',
      '\n%{http_code}',
      `https://${host}:${port}${path}`,
    ],
    { reject: false },
  );
  const out = String(r.stdout);
  const nl = out.lastIndexOf('\n');
  return {
    status: Number(out.slice(nl + 1)) || 0,
    body: out.slice(0, Math.max(nl, 0)),
    err: String(r.stderr),
  };
}

/** The leaf certificate a TLS server on 127.0.0.1:port presents for SNI `host` (not verified). */
export function presentedCertificate(port: number, host: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: host, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      if (!raw) reject(new Error('no certificate presented'));
      else resolve(new X509Certificate(raw));
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

export async function writePem(path: string, pem: string): Promise<string> {
  await writeFile(path, pem);
  return path;
}
