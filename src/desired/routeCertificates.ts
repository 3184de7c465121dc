// The certificates routes bring (`tls.certificate`): each secret must hold a chain and its key that serve the host.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Diagnostic } from '../model/diagnostics.js';
import { resourceId } from '../model/names.js';
import { splitPemBundle } from '../model/pemBundle.js';
import type { TlsMode } from '../model/settings.js';
import type { DesiredWorkload } from '../model/workload.js';
import type { SecretSource } from '../store/secrets.js';
import { diagnosticAt } from './located.js';
import type { LocatedResource } from './types.js';

/** A brought certificate that expires within this is a warning (`hiy status` and the dashboard show it too). */
export const CERTIFICATE_SOON_MS = 14 * 24 * 3600 * 1000;

/**
 * Every problem of the certificates the workloads' routes name, all at once, located at the route's
 * `tls.certificate`: the bundle holds no certificate or no private key, does not parse, the key is not the leaf's,
 * the leaf does not cover the route's host, or it expired (errors); it expires within 14 days (a warning).
 * A secret that is not set is left to `digestSecrets`. Never puts any part of the PEM in a diagnostic.
 */
export async function checkRouteCertificates(
  workloads: DesiredWorkload[],
  located: LocatedResource[],
  source: Pick<SecretSource, 'value'>,
  now: Date,
  tls?: TlsMode,
): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const named = new Map<string, { secret: string; resource: string }>();
  // By id, first one kept (as a search would find it): one lookup per workload, not a scan of all resources.
  const byId = new Map<string, LocatedResource>();
  for (const l of located) {
    const id = resourceId(l.resource.kind, l.resource.metadata.name);
    if (!byId.has(id)) byId.set(id, l);
  }
  for (const w of workloads) {
    const lr = byId.get(w.id);
    for (const [i, r] of w.routes.entries()) {
      if (!r.tls) continue;
      const name = r.tls.certificate;
      const path = `spec.routes[${i}].tls.certificate`;
      if (tls === 'off') {
        // Never silent: the certificate is checked, but there is no HTTPS server to serve it from.
        out.push(
          diagnosticAt(lr, path, {
            severity: 'warning',
            summary: `certificate "${name}" is not served: HIY_TLS is off (plain HTTP only)`,
            detail: 'set HIY_TLS=internal or acme to serve HTTPS (docs/tls.md)',
            resource: w.id,
          }),
        );
      }
      const other = named.get(r.host);
      if (other && other.secret !== name) {
        // Caddy chooses a certificate by host name, never by path: one host, one certificate.
        out.push(
          diagnosticAt(lr, path, {
            summary: `host ${r.host} already has certificate "${other.secret}" (${other.resource}): one host is served with one certificate`,
            resource: w.id,
          }),
        );
      }
      if (!other) named.set(r.host, { secret: name, resource: w.id });
      const value = await source.value(name);
      if (value === undefined) continue;
      for (const [severity, summary] of bundleProblems(value, r.host, now)) {
        out.push(
          diagnosticAt(lr, path, {
            severity,
            summary: `certificate secret "${name}" ${summary}`,
            detail:
              severity === 'error'
                ? `replace it with: hiy secret set ${name} < bundle.pem (the chain, leaf first, and its private key, PEM)`
                : `renew it, then: hiy secret set ${name} < bundle.pem`,
            resource: w.id,
          }),
        );
      }
    }
  }
  return out;
}

/** What is wrong with a bundle for `host`, as [severity, summary] pairs. */
export function bundleProblems(pem: string, host: string, now: Date): [Diagnostic['severity'], string][] {
  const bundle = splitPemBundle(pem);
  const out: [Diagnostic['severity'], string][] = [];
  if (bundle.certificates === 0) out.push(['error', 'holds no certificate (no BEGIN CERTIFICATE block)']);
  if (bundle.keys === 0) out.push(['error', 'holds no private key (no BEGIN … PRIVATE KEY block)']);
  if (out.length > 0) return out;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(bundle.chain.slice(0, bundle.chain.indexOf('-----END CERTIFICATE-----') + 25));
  } catch {
    return [['error', 'holds a certificate that does not parse']];
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(bundle.key)))
      out.push([
        'error',
        "holds a private key that is not the certificate's (the first certificate is the leaf)",
      ]);
  } catch {
    out.push(['error', 'holds a private key that does not parse (or is encrypted)']);
  }
  if (!coversHost(leaf, host))
    out.push(['error', `does not cover ${host} (${leaf.subjectAltName ?? leaf.subject})`]);
  const notAfter = new Date(leaf.validTo);
  const notBefore = new Date(leaf.validFrom);
  if (notAfter.getTime() <= now.getTime()) out.push(['error', `expired on ${notAfter.toISOString()}`]);
  else if (notBefore.getTime() > now.getTime())
    out.push(['error', `is not valid before ${notBefore.toISOString()}`]);
  else if (notAfter.getTime() - now.getTime() < CERTIFICATE_SOON_MS)
    out.push(['warning', `expires within 14 days (${notAfter.toISOString()})`]);
  return out;
}

/** The leaf serves `host`: one of its DNS names is the host, or a wildcard one level above it; a wildcard route needs the same wildcard. */
function coversHost(leaf: X509Certificate, host: string): boolean {
  const names = (leaf.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4).toLowerCase());
  const h = host.toLowerCase();
  if (names.includes(h)) return true;
  if (h.startsWith('*.')) return false;
  return leaf.checkHost(h) !== undefined;
}
