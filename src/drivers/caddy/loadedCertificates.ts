// Brought certificates in Caddy's config: `apps.tls.certificates.load_pem` entries HIY renders, owns and reads back. Pure.
import type { ProxyRoute, RouteCertificate } from '../../model/routing.js';
import { isObject, type Json, objectAt } from './json.js';
import type { CaddyConfig } from './types.js';

/**
 * First tag of every load_pem entry HIY owns for `server`: `SERVER:certificate:SECRET:DIGEST`; the other tags are
 * `host:HOST`, the route hosts it serves. HIY renders entries without their PEM: the Caddy client fills it in
 * from the secret store on its way to Caddy and takes it out of what it reads back (`certificatePem.ts`), so
 * plans, observed state and logs never hold a key.
 */
export function certificateTagPrefix(server: string): string {
  return `${server}:certificate:`;
}

/** The (secret, digest) a tag names, or undefined when it is not one of `server`'s. */
export function parseCertificateTag(server: string, tag: unknown): RouteCertificate | undefined {
  const prefix = certificateTagPrefix(server);
  if (typeof tag !== 'string' || !tag.startsWith(prefix)) return undefined;
  const rest = tag.slice(prefix.length);
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) return undefined;
  return { secret: rest.slice(0, colon), digest: rest.slice(colon + 1) };
}

/** One load_pem entry (without its PEM) per brought certificate, with the hosts it serves; sorted, so stable. */
export function renderLoadedCertificates(server: string, routes: ProxyRoute[]): Json[] {
  const hosts = new Map<string, Set<string>>();
  for (const r of routes) {
    if (!r.certificate) continue;
    const tag = `${certificateTagPrefix(server)}${r.certificate.secret}:${r.certificate.digest}`;
    hosts.set(tag, (hosts.get(tag) ?? new Set()).add(r.host));
  }
  return [...hosts.keys()].sort().map((tag) => ({
    tags: [tag, ...[...hosts.get(tag)!].sort().map((h) => `host:${h}`)],
  }));
}

/** The load_pem entries of `server` in a full config. */
export function ownedLoadedCertificates(full: CaddyConfig | null, server: string): Json[] {
  const list = objectAt(full ?? {}, ['apps', 'tls', 'certificates'])?.['load_pem'];
  if (!Array.isArray(list)) return [];
  return list.filter(
    (e): e is Json =>
      isObject(e) && Array.isArray(e['tags']) && parseCertificateTag(server, e['tags'][0]) !== undefined,
  );
}

/** Gives every route whose host an entry names that entry's certificate (what Caddy serves it with). */
export function assignCertificates(routes: ProxyRoute[], entries: Json[], server: string): void {
  const byHost = new Map<string, RouteCertificate>();
  for (const e of entries) {
    const tags = e['tags'] as unknown[];
    const cert = parseCertificateTag(server, tags[0]);
    if (!cert) continue;
    for (const t of tags.slice(1))
      if (typeof t === 'string' && t.startsWith('host:')) byHost.set(t.slice(5), cert);
  }
  for (const r of routes) {
    const cert = byHost.get(r.host);
    if (cert) r.certificate = { ...cert };
  }
}

/**
 * Sets `server`'s load_pem entries of `out` (mutated; a clone made by mergeOwned) to `entries`, keeping everyone
 * else's, and drops the loader when nothing is left in it.
 */
export function mergeLoadedCertificates(out: Json, server: string, entries: unknown[]): void {
  const certificates = objectAt(out, ['apps', 'tls', 'certificates']);
  const existing = Array.isArray(certificates?.['load_pem']) ? (certificates['load_pem'] as unknown[]) : [];
  const kept = existing.filter(
    (e) => !(isObject(e) && Array.isArray(e['tags']) && parseCertificateTag(server, e['tags'][0])),
  );
  const next = [...structuredClone(entries), ...kept];
  if (next.length > 0) {
    const tls = objectAt(out, ['apps', 'tls']) ?? ensure(ensure(out, 'apps'), 'tls');
    const certs = isObject(tls['certificates']) ? tls['certificates'] : ensure(tls, 'certificates');
    certs['load_pem'] = next;
  } else if (certificates && 'load_pem' in certificates) {
    delete certificates['load_pem'];
  }
}

function ensure(root: Json, key: string): Json {
  const v = root[key];
  if (isObject(v)) return v;
  const made: Json = {};
  root[key] = made;
  return made;
}
