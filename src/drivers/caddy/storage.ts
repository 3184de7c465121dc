// Caddy's certificate storage on disk: the certificate and key files it holds for a host, and their digest.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostCertificate } from '../../model/routing.js';

/**
 * The certificate Caddy's file storage under `dataDir` holds for each of `hosts`: Caddy keeps one at
 * `certificates/<issuer>/<host>/<host>.crt` (and `.key`) per issuer that issued one; the most recently written
 * is the one it serves. A host with none (not issued yet, or no such directory) is left out. Never throws for a
 * missing file: a certificate not there yet is a normal state of a fresh box.
 */
export async function readHostCertificates(
  dataDir: string,
  hosts: readonly string[],
): Promise<Record<string, HostCertificate>> {
  const out: Record<string, HostCertificate> = {};
  const root = join(dataDir, 'certificates');
  const issuers = await readdir(root).catch(() => [] as string[]);
  for (const host of [...new Set(hosts)].sort()) {
    let best: { dir: string; mtimeMs: number } | undefined;
    for (const issuer of issuers.sort()) {
      const dir = join(root, issuer, host);
      const [crt, key] = await Promise.all([
        stat(join(dir, `${host}.crt`)).catch(() => undefined),
        stat(join(dir, `${host}.key`)).catch(() => undefined),
      ]);
      if (!crt?.isFile() || !key?.isFile()) continue;
      if (!best || crt.mtimeMs > best.mtimeMs) best = { dir, mtimeMs: crt.mtimeMs };
    }
    if (!best) continue;
    const pem = await readFile(join(best.dir, `${host}.crt`)).catch(() => undefined);
    if (!pem || pem.length === 0) continue;
    out[host] = {
      dir: best.dir,
      certFile: `${host}.crt`,
      keyFile: `${host}.key`,
      digest: createHash('sha256').update(pem).digest('hex').slice(0, 16),
    };
  }
  return out;
}
