// Puts brought certificates' PEM into HIY's load_pem entries on their way to Caddy, and takes it out on the way back.
import { HiyError } from '../../model/errors.js';
import { splitPemBundle } from '../../model/pemBundle.js';
import { isObject, type Json } from './json.js';
import { ownedLoadedCertificates, parseCertificateTag } from './loadedCertificates.js';
import type { CaddyConfig } from './types.js';

/** Where the client reads a certificate secret's value, and the salted digest a plan names it by. */
export interface CertificateSecretSource {
  value(name: string): Promise<string | undefined>;
  digest(value: string): Promise<string>;
}

/** The certificate secrets changed since the plan, or are gone: the load is refused before Caddy sees it. */
export class CertificateSecretError extends HiyError<{ secret: string }> {
  constructor(message: string, secret: string) {
    super('CERTIFICATE_SECRET_CHANGED', message, { data: { secret } });
    this.name = 'CertificateSecretError';
  }
}

/**
 * A copy of `config` whose load_pem entries of `server` carry the chain and key of the secret their tag names.
 * The value must still be the one planned (its digest is in the tag): a secret replaced since is refused, so the
 * certificate Caddy serves is always the one the plan showed.
 */
export async function withCertificatePem(
  config: CaddyConfig,
  server: string,
  source: CertificateSecretSource,
): Promise<CaddyConfig> {
  const out = structuredClone(config) as Json;
  for (const entry of ownedLoadedCertificates(out, server)) {
    const cert = parseCertificateTag(server, (entry['tags'] as unknown[])[0])!;
    const value = await source.value(cert.secret);
    if (value === undefined)
      throw new CertificateSecretError(
        `certificate secret "${cert.secret}" is not set; nothing was loaded`,
        cert.secret,
      );
    if ((await source.digest(value)) !== cert.digest)
      throw new CertificateSecretError(
        `certificate secret "${cert.secret}" changed since the plan was made; nothing was loaded, plan again`,
        cert.secret,
      );
    const bundle = splitPemBundle(value);
    entry['certificate'] = bundle.chain;
    entry['key'] = bundle.key;
  }
  return out as CaddyConfig;
}

/** A copy of `config` without the PEM of `server`'s load_pem entries: what HIY rendered, and no key anywhere. */
export function withoutCertificatePem(config: CaddyConfig, server: string): CaddyConfig {
  const out = structuredClone(config) as Json;
  for (const entry of ownedLoadedCertificates(out, server)) {
    if (isObject(entry)) {
      delete entry['certificate'];
      delete entry['key'];
    }
  }
  return out as CaddyConfig;
}
