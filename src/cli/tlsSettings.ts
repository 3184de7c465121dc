// The TLS settings (HIY_TLS, HIY_HTTPS_ADDR, HIY_ACME_*), checked at start-up: every problem one clear line.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type AcmeSettings, DEFAULT_SETTINGS, type Settings, type TlsMode } from '../model/settings.js';

const MODES: readonly TlsMode[] = ['acme', 'internal', 'off'];

/** `[host]:port`, as Caddy reads a listen address (the host may be empty or an IPv6 literal in brackets). */
const LISTEN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

/** HIY_TLS, HIY_HTTPS_ADDR and HIY_ACME_*; the problems found, each one line naming its variable. */
export function tlsSettings(env: NodeJS.ProcessEnv): {
  settings: Pick<Settings, 'tls' | 'httpsAddr' | 'acme'>;
  problems: string[];
} {
  const problems: string[] = [];
  const tls = (env.HIY_TLS?.trim() || DEFAULT_SETTINGS.tls) as TlsMode;
  if (!MODES.includes(tls))
    problems.push(`HIY_TLS must be acme, internal or off, not ${JSON.stringify(tls)}`);
  const httpsAddr = env.HIY_HTTPS_ADDR ?? DEFAULT_SETTINGS.httpsAddr;
  const m = LISTEN.exec(httpsAddr);
  if (!m || Number(m[2]) > 65535)
    problems.push(
      `HIY_HTTPS_ADDR must be a listen address like :443 or 127.0.0.1:8443, not ${JSON.stringify(httpsAddr)}`,
    );
  const acme: AcmeSettings = {};
  const ca = env.HIY_ACME_CA?.trim();
  if (ca) {
    let url: URL | undefined;
    try {
      url = new URL(ca);
    } catch {
      url = undefined;
    }
    if (url?.protocol !== 'https:')
      problems.push(`HIY_ACME_CA must be the https:// URL of an ACME directory, not ${JSON.stringify(ca)}`);
    else acme.ca = ca;
  }
  const root = env.HIY_ACME_CA_ROOT?.trim();
  if (root) {
    const path = resolve(root);
    const problem = pemProblem(path);
    if (problem) problems.push(`HIY_ACME_CA_ROOT ${path}: ${problem}`);
    else acme.caRoot = path;
  }
  const email = env.HIY_ACME_EMAIL?.trim();
  if (email) {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      problems.push(`HIY_ACME_EMAIL must be an e-mail address, not ${JSON.stringify(email)}`);
    else acme.email = email;
  }
  const anyAcme = Boolean(ca || root || email);
  if (anyAcme && tls !== 'acme' && MODES.includes(tls))
    problems.push(`HIY_ACME_CA, HIY_ACME_CA_ROOT and HIY_ACME_EMAIL apply only to HIY_TLS=acme, not ${tls}`);
  return {
    settings: { tls, httpsAddr, ...(tls === 'acme' && Object.keys(acme).length > 0 ? { acme } : {}) },
    problems,
  };
}

/** Why a file is not a readable PEM with at least one certificate, or undefined when it is. */
function pemProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : `cannot read it (${code})`;
  }
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  if (!first) return 'no PEM certificate in it';
  try {
    new X509Certificate(first[0]);
  } catch {
    return 'its first certificate does not parse';
  }
  return undefined;
}
