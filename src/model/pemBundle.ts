// A PEM bundle as `hiy secret set NAME < bundle.pem` stores it: the certificate chain and its private key, split.

/** The certificate blocks (leaf first, as given) and the one private key block of a PEM bundle. */
export interface PemBundle {
  /** Every `CERTIFICATE` block, in the bundle's order, joined with newlines ('' when there is none). */
  chain: string;
  /** The first `… PRIVATE KEY` block ('' when there is none). */
  key: string;
  /** How many certificate and key blocks the bundle holds. */
  certificates: number;
  keys: number;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Splits a bundle into its chain and its key; anything else in it (comments, parameters) is ignored. */
export function splitPemBundle(pem: string): PemBundle {
  const certs: string[] = [];
  const keys: string[] = [];
  for (const m of pem.matchAll(BLOCK)) {
    if (m[1] === 'CERTIFICATE') certs.push(m[0]);
    else if (m[1] === 'PRIVATE KEY' || m[1]!.endsWith(' PRIVATE KEY')) keys.push(m[0]);
  }
  return {
    chain: certs.length ? `${certs.join('\n')}\n` : '',
    key: keys[0] ? `${keys[0]}\n` : '',
    certificates: certs.length,
    keys: keys.length,
  };
}
