// Which requests may say where they came from (and over what): only those through HIY's Caddy route, which sends the proxy secret.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PROXY_SECRET_HEADER } from '../model/routing.js';
import { proxySecret } from '../store/proxySecret.js';

const HEADER = PROXY_SECRET_HEADER.toLowerCase();

/**
 * Returns the check the server runs on every request before anything reads it: `X-Forwarded-For` and
 * `X-Forwarded-Proto` (Caddy sets both on its dashboard route; `Secure` cookies follow the latter) are kept only
 * when the request carries the box's proxy secret (Caddy's dashboard route sets it, replacing a client's copy),
 * and dropped otherwise, so a client talking to the daemon directly is known by its socket's address. The
 * secret header itself is always removed. The secret is read again when a request's value differs (it may
 * have been made after the daemon started).
 */
export async function forwardedGate(dataDir: string): Promise<(req: IncomingMessage) => Promise<void>> {
  let secret = await proxySecret(dataDir);
  return async (req) => {
    const sent = req.headers[HEADER];
    delete req.headers[HEADER];
    let trusted = typeof sent === 'string' && same(sent, secret);
    if (!trusted && typeof sent === 'string') {
      secret = await proxySecret(dataDir);
      trusted = same(sent, secret);
    }
    if (!trusted) {
      delete req.headers['x-forwarded-for'];
      // A plain-HTTP client must not earn a `Secure` cookie or an https passkey origin by saying it used HTTPS.
      delete req.headers['x-forwarded-proto'];
    }
  };
}

function same(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
