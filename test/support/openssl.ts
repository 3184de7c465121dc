// Certificates made with the real openssl for TLS tests: a private root CA and leaf bundles (chain + key, PEM).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** A root CA in `dir`: its certificate (PEM) and the files openssl signs with. */
export interface TestCa {
  dir: string;
  certFile: string;
  keyFile: string;
  pem: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await execa('openssl', args, { cwd });
}

/** A self-signed EC root named `name`, valid ten years. */
export async function makeCa(dir: string, name = 'HIY Test Root'): Promise<TestCa> {
  const keyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'ca.pem');
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], dir);
  await openssl(
    ['req', '-x509', '-new', '-key', keyFile, '-subj', `/CN=${name}`, '-days', '3650', '-out', certFile],
    dir,
  );
  return { dir, certFile, keyFile, pem: await readFile(certFile, 'utf8') };
}

/**
 * A leaf for `hosts` (SANs) signed by `ca`, valid `days` days: the bundle `hiy secret set` takes (leaf, then the
 * CA as its chain, then the key), and the leaf alone. `wrongKey` puts an unrelated key in the bundle.
 */
export async function makeLeaf(
  ca: TestCa,
  name: string,
  hosts: string[],
  opts: { days?: number; wrongKey?: boolean } = {},
): Promise<{ bundle: string; leaf: string; key: string }> {
  const dir = ca.dir;
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const crt = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
  await openssl(['req', '-new', '-key', key, '-subj', `/CN=${hosts[0]}`, '-out', csr], dir);
  await writeFile(ext, `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}\n`);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-CAcreateserial',
      '-days',
      String(opts.days ?? 90),
      '-extfile',
      ext,
      '-out',
      crt,
    ],
    dir,
  );
  const leaf = await readFile(crt, 'utf8');
  let keyPem = await readFile(key, 'utf8');
  if (opts.wrongKey) {
    const other = join(dir, `${name}.other.key`);
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', other], dir);
    keyPem = await readFile(other, 'utf8');
  }
  return { bundle: `${leaf}${ca.pem}${keyPem}`, leaf, key: keyPem };
}
