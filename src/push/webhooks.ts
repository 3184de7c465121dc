// Push webhooks from GitHub, Gitea and Forgejo: HMAC-SHA256 signatures, the delivery id (replays are refused by
// store/deliveries.ts), the event, and the Apps a push is for.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isGitUrl } from '../desired/load.js';
import type { AppResource } from '../model/resources.js';

export type Forge = 'github' | 'gitea';

/**
 * The signature a request carries, as hex: GitHub's `X-Hub-Signature-256: sha256=HEX`, Gitea's
 * `X-Gitea-Signature: HEX`, Forgejo's `X-Forgejo-Signature: HEX` (Gitea and Forgejo also send GitHub's).
 */
export function signatureOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const hub = one('x-hub-signature-256');
  if (hub?.startsWith('sha256=')) return hub.slice('sha256='.length);
  return one('x-gitea-signature') ?? one('x-forgejo-signature');
}

/** The delivery id (GitHub, Gitea or Forgejo header). */
export function deliveryOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const name of ['x-github-delivery', 'x-gitea-delivery', 'x-forgejo-delivery']) {
    const v = headers[name];
    const s = Array.isArray(v) ? v[0] : v;
    if (s) return s;
  }
  return undefined;
}

/** The event name (`push`, `ping`…). */
export function eventOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const name of ['x-github-event', 'x-gitea-event', 'x-forgejo-event']) {
    const v = headers[name];
    const s = Array.isArray(v) ? v[0] : v;
    if (s) return s;
  }
  return undefined;
}

/** True when `signatureHex` is HMAC-SHA256(secret, body); compared in constant time over the raw bytes. */
export function verifySignature(secret: string, body: Buffer, signatureHex: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(signatureHex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(signatureHex, 'hex'));
}

/** What HIY reads of a push payload (GitHub and Gitea/Forgejo share these fields). */
export interface PushInfo {
  ref?: string;
  after?: string;
  urls: string[];
}

export function pushInfo(payload: unknown): PushInfo {
  const p = (payload ?? {}) as {
    ref?: unknown;
    after?: unknown;
    repository?: Record<string, unknown>;
  };
  const repo = p.repository ?? {};
  const urls = ['clone_url', 'git_url', 'ssh_url', 'html_url', 'url']
    .map((k) => repo[k])
    .filter((u): u is string => typeof u === 'string' && u !== '');
  return {
    ref: typeof p.ref === 'string' ? p.ref : undefined,
    after: typeof p.after === 'string' ? p.after : undefined,
    urls,
  };
}

/** `https://host/o/r.git/` and `https://host/o/r` name the same repository. */
export function normalizeGitUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .toLowerCase();
}

/** The Apps whose URL source is one of the push's repository URLs and whose branch it pushed. */
export function appsForPush(apps: AppResource[], push: PushInfo): AppResource[] {
  const urls = new Set(push.urls.map(normalizeGitUrl));
  return apps.filter((a) => {
    const git = a.spec.source.git;
    if (!git || !isGitUrl(git) || !urls.has(normalizeGitUrl(git))) return false;
    return push.ref === `refs/heads/${a.spec.source.branch}`;
  });
}
