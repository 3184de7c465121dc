// The certificate HIY's Caddy serves for a host, read from a TLS handshake on HIY_HTTPS_ADDR (status views).
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';

/** What a route host is served with, or why nothing is served (e.g. an ACME issuance that keeps failing). */
export interface HostCertificate {
  host: string;
  subject?: string;
  issuer?: string;
  /** ISO time the certificate expires. */
  notAfter?: string;
  /** Expires within 14 days. */
  expiresSoon?: boolean;
  /** The handshake failed: no certificate is served for this host. */
  error?: string;
}

const SOON_MS = 14 * 24 * 3600 * 1000;

/** `:443` → 127.0.0.1:443; `[::1]:8443` → ::1:8443. */
function target(addr: string): { host: string; port: number } {
  const m = /^(\[([^\]]+)\]|[^:]*):(\d+)$/.exec(addr);
  const h = m?.[2] ?? m?.[1] ?? '';
  return {
    host: h === '' || h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '::1' : h,
    port: Number(m?.[3] ?? 443),
  };
}

/** Handshakes with SNI `host` (a wildcard's `*` becomes a label) and reads the leaf certificate, unverified. */
export function servedCertificate(
  httpsAddr: string,
  host: string,
  now = new Date(),
  timeoutMs = 3000,
): Promise<HostCertificate> {
  const { host: ip, port } = target(httpsAddr);
  const sni = host.replace(/^\*\./, 'hiy-probe.');
  return new Promise((resolve) => {
    const done = (c: HostCertificate) => {
      socket.destroy();
      resolve(c);
    };
    const socket = connect({ host: ip, port, servername: sni, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      if (!raw) return done({ host, error: 'no certificate served' });
      const cert = new X509Certificate(raw);
      const notAfter = new Date(cert.validTo);
      done({
        host,
        // Caddy's internal certificates have an empty subject: their names are the SANs.
        subject: (cert.subject || cert.subjectAltName || '-').replace(/\n/g, ', '),
        issuer: (cert.issuer || '-').replace(/\n/g, ', '),
        notAfter: notAfter.toISOString(),
        expiresSoon: notAfter.getTime() - now.getTime() < SOON_MS,
      });
    });
    socket.setTimeout(timeoutMs, () => done({ host, error: `no TLS answer within ${timeoutMs} ms` }));
    socket.on('error', (err) => done({ host, error: `no certificate served (${err.message})` }));
  });
}
