// The box's proxy secret: Caddy's dashboard route sends it, so the daemon knows a request came through HIY's Caddy.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileExclusive } from './atomic.js';

/** `<dataDir>/proxy-secret` (mode 0600): one random value per data directory, made the first time it is needed. */
export function proxySecretPath(dataDir: string): string {
  return join(dataDir, 'proxy-secret');
}

/** Reads the proxy secret without making one (planning writes nothing): undefined while there is none. */
export function readProxySecret(dataDir: string): Promise<string | undefined> {
  return readSecret(proxySecretPath(dataDir));
}

/**
 * Reads the proxy secret, creating it when missing. Creation is exclusive (a link of a complete temp file), so
 * two processes making it at once agree on the value the first one wrote.
 */
export async function proxySecret(dataDir: string): Promise<string> {
  const path = proxySecretPath(dataDir);
  const existing = await readSecret(path);
  if (existing) return existing;
  await createFileExclusive(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  const made = await readSecret(path);
  if (!made) throw new Error(`${path} is empty: remove it and HIY makes a new one`);
  return made;
}

async function readSecret(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
