// A box's first ACME account, registered by one certificate: Caddy 2.6.2 registers one per host obtained at once.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { objectNames } from '../../model/names.js';
import type { Settings } from '../../model/settings.js';
import { isObject, type Json, objectAt, strings } from './json.js';
import { tlsPolicyId } from './render.js';
import { type CaddyConfig, type CaddyDriver, CaddyError } from './types.js';

/** Let's Encrypt's production directory: Caddy's `acme` issuer uses it when the issuer names no CA. */
export const DEFAULT_ACME_CA = 'https://acme-v02.api.letsencrypt.org/directory';

/** certmagic's `KeyBuilder.Safe`: one storage key component from any string (lower case, no separators). */
export function storageSafe(s: string): string {
  return s
    .toLowerCase()
    .trim()
    .replaceAll(' ', '_')
    .replaceAll('+', '_plus_')
    .replaceAll('*', 'wildcard_')
    .replaceAll(':', '-')
    .replaceAll('..', '')
    .replace(/[^\w@.-]/g, '');
}

/** certmagic's issuer key of a CA directory URL: its host, then its path with slashes as hyphens. */
export function issuerKey(ca: string): string {
  let url: URL;
  try {
    url = new URL(ca);
  } catch {
    return ca;
  }
  const path = url.pathname.replace(/[/\\]/g, '-').replace(/^-+|-+$/g, '');
  return path === '' ? url.host : `${url.host}-${path}`;
}

/**
 * Whether Caddy's file storage under `dataDir` holds an ACME account for `ca` (and `email`: any account of that CA
 * when there is none, as certmagic then reuses the most recent one). An account is a folder
 * `acme/<issuer key>/users/<email>/` holding its registration (`.json`) and its key (`.key`).
 */
export async function hasAcmeAccount(
  dataDir: string,
  ca: string,
  email: string | undefined,
): Promise<boolean> {
  const users = join(dataDir, 'acme', storageSafe(issuerKey(ca)), 'users');
  const folders = email ? [storageSafe(email)] : await readdir(users).catch(() => [] as string[]);
  for (const folder of folders) {
    const files = await readdir(join(users, folder)).catch(() => [] as string[]);
    if (files.some((f) => f.endsWith('.json')) && files.some((f) => f.endsWith('.key'))) return true;
  }
  return false;
}

/** The ACME policy of HIY's server in a full config, and the hosts it names: what a first load would obtain at once. */
export interface AcmePolicyView {
  ca: string;
  email: string | undefined;
  subjects: string[];
}

/** HIY's ACME automation policy (`@id` `policyId`) in `config`; undefined when there is none. */
export function acmePolicy(config: CaddyConfig, policyId: string): AcmePolicyView | undefined {
  const policies = objectAt(config, ['apps', 'tls', 'automation'])?.['policies'];
  const policy = Array.isArray(policies)
    ? policies.find((p): p is Json => isObject(p) && p['@id'] === policyId)
    : undefined;
  const issuer = policy && Array.isArray(policy['issuers']) ? policy['issuers'][0] : undefined;
  if (!policy || !isObject(issuer) || issuer['module'] !== 'acme') return undefined;
  return {
    ca: typeof issuer['ca'] === 'string' ? issuer['ca'] : DEFAULT_ACME_CA,
    email: typeof issuer['email'] === 'string' && issuer['email'] !== '' ? issuer['email'] : undefined,
    subjects: strings(policy['subjects']) ?? [],
  };
}

/**
 * `config` with only `first` of the policy's hosts managed: the policy names `first` alone and HIY's `server`
 * skips automatic HTTPS for the others, so Caddy obtains one certificate and registers one account. Pure.
 */
export function withOneAcmeHost(
  config: CaddyConfig,
  server: string,
  policyId: string,
  first: string,
): CaddyConfig {
  const out = structuredClone(config) as Json;
  const policies = objectAt(out, ['apps', 'tls', 'automation'])?.['policies'] as unknown[];
  const policy = policies.find((p): p is Json => isObject(p) && p['@id'] === policyId)!;
  const others = (strings(policy['subjects']) ?? []).filter((h) => h !== first);
  policy['subjects'] = [first];
  const main = objectAt(out, ['apps', 'http', 'servers', server]);
  if (main) {
    const auto = isObject(main['automatic_https']) ? main['automatic_https'] : {};
    main['automatic_https'] = { ...auto, skip: [...(strings(auto['skip']) ?? []), ...others] };
  }
  return out;
}

export interface FirstAccountOptions {
  /** HIY's server name in Caddy (`objectNames(instance).caddyServer`). */
  server: string;
  /** `@id` of its TLS policy (`tlsPolicyId(server)`). */
  policyId: string;
  /** Caddy's data directory (HIY_CADDY_DATA_DIR), where its file storage keeps ACME accounts. */
  dataDir: string;
  /** How long to wait for the account after the one-host load; 30 s by default. */
  waitMs?: number;
  pollMs?: number;
}

/**
 * A CaddyDriver that never lets Caddy obtain several ACME certificates before it has an account. Caddy 2.6.2
 * (certmagic 0.17) registers one account per certificate it obtains at the same moment and stores their keys and
 * registrations over each other; every later order is then signed with a key of another account and refused
 * (`JWS verification error`) until the account folder is removed. So a load whose ACME policy names several hosts,
 * while Caddy's storage holds no account for that CA and e-mail, goes in two steps: first with one host (Caddy
 * registers the account and stores it), then, once the account is on disk, the config as asked. Nothing is lost:
 * the other hosts had no certificate from that CA (no account means no order), and they are served a few seconds
 * later. When no account appears in time (the CA is unreachable, or HIY_CADDY_DATA_DIR is not Caddy's storage),
 * the load fails with that said: the next apply tries again, and the one-host config keeps the race away meanwhile.
 */
export class FirstAccountCaddy implements CaddyDriver {
  constructor(
    private readonly inner: CaddyDriver,
    private readonly opts: FirstAccountOptions,
  ) {}

  getConfig(): Promise<CaddyConfig | null> {
    return this.inner.getConfig();
  }

  localCaRoot(): Promise<string> {
    return this.inner.localCaRoot();
  }

  async load(config: CaddyConfig): Promise<CaddyConfig> {
    const policy = acmePolicy(config, this.opts.policyId);
    if (!policy || policy.subjects.length < 2) return this.inner.load(config);
    if (await hasAcmeAccount(this.opts.dataDir, policy.ca, policy.email)) return this.inner.load(config);
    const first = [...policy.subjects].sort()[0]!;
    await this.inner.load(withOneAcmeHost(config, this.opts.server, this.opts.policyId, first));
    const deadline = Date.now() + (this.opts.waitMs ?? 30_000);
    while (!(await hasAcmeAccount(this.opts.dataDir, policy.ca, policy.email))) {
      if (Date.now() >= deadline) {
        const others = policy.subjects.filter((h) => h !== first).join(', ');
        throw new CaddyError(
          `Caddy registered no ACME account with ${policy.ca} within ${Math.round((this.opts.waitMs ?? 30_000) / 1000)} s ` +
            `(none in HIY_CADDY_DATA_DIR=${this.opts.dataDir}): is the CA reachable, and is that Caddy's data directory? ` +
            `Only ${first} is managed until it has one, so that ${others} are not ordered with several accounts at once ` +
            "(Caddy 2.6's race, docs/tls.md); the next apply tries again",
          { url: policy.ca },
        );
      }
      await sleep(this.opts.pollMs ?? 200);
    }
    return this.inner.load(config);
  }
}

/** `driver` wrapped in {@link FirstAccountCaddy} when HIY runs ACME and knows Caddy's storage; else `driver` as is. */
export function firstAcmeAccount(
  settings: Pick<Settings, 'tls' | 'caddyDataDir' | 'instance'>,
  driver: CaddyDriver,
): CaddyDriver {
  if (settings.tls !== 'acme' || !settings.caddyDataDir) return driver;
  const server = objectNames(settings.instance).caddyServer;
  return new FirstAccountCaddy(driver, {
    server,
    policyId: tlsPolicyId(server),
    dataDir: settings.caddyDataDir,
  });
}
