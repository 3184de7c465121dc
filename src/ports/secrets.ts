// The secrets Ports need written (generated values, linked values): found while planning, written by apply.
import { randomBytes } from 'node:crypto';
import type { SecretStore } from '../store/secrets.js';

/** A secret the state needs and the store does not hold (yet, or with that value). Never serialized with a value. */
export interface PendingSecret {
  name: string;
  /** The resource whose container uses it. */
  resource: string;
  /**
   * `generate`: a random value of `length` characters a Port's declaration asks for, created once;
   * `link`: a value a linked Port provides (`from`), written whenever it differs from the stored one.
   */
  kind: 'generate' | 'link';
  length?: number;
  from?: string;
  /** The linked value; undefined while a secret it is made from is itself still to be generated. */
  value?: string;
}

/** A random URL-safe value of `length` characters. */
export function randomSecret(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

/**
 * Writes pending secrets; call it holding the apply lock. A generated secret is created exclusively (two
 * applies racing store one value, and an existing one is never replaced); a linked value is written when
 * known. Returns the names written.
 */
export async function writePendingSecrets(
  store: Pick<SecretStore, 'create' | 'set' | 'value'>,
  pending: readonly PendingSecret[],
): Promise<string[]> {
  const written: string[] = [];
  for (const p of pending) {
    if (p.kind === 'generate') {
      if (await store.create(p.name, randomSecret(p.length ?? 32))) written.push(p.name);
    } else if (p.value !== undefined && (await store.value(p.name)) !== p.value) {
      await store.set(p.name, p.value);
      written.push(p.name);
    }
  }
  return written;
}
