// Dashboard replies: compressed HTML pages, redirects with a flash message, and url-encoded form bodies.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { HttpError, readBody } from '../http.js';
import { chooseEncoding } from './assets.js';
import type { Html } from './html.js';

/** Security headers of every page: no framing, no sniffing, scripts and styles only from this origin. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/** Sends a page, compressed when the client accepts it; pages are never cached (they show live state). */
export function sendHtml(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  page: Html,
  headers: Record<string, string | string[]> = {},
): void {
  const body = Buffer.from(page.text);
  const enc = chooseEncoding(req);
  const out =
    enc === 'br'
      ? brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } })
      : enc === 'gzip'
        ? gzipSync(body, { level: 6 })
        : body;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    vary: 'accept-encoding, cookie',
    ...PAGE_HEADERS,
    ...(enc ? { 'content-encoding': enc } : {}),
    'content-length': String(out.length),
    ...headers,
  });
  res.end(out);
}

/** The key flash messages are signed with: this process's own, never shown (a restart voids old links). */
const FLASH_KEY = randomBytes(32);

function flashSignature(text: string, error: boolean): string {
  return createHmac('sha256', FLASH_KEY)
    .update(`${error ? 1 : 0}\n${text}`)
    .digest('base64url');
}

/**
 * 303 to `location` (a path of this site), with a short message shown by the next page: `msg`, `err` and
 * `sig`, an HMAC of both with this process's key, so that a page shows only messages HIY itself wrote.
 */
export function redirect(
  res: ServerResponse,
  location: string,
  flash?: string,
  headers: Record<string, string | string[]> = {},
): void {
  const url = new URL(location, 'http://hiy');
  if (flash) {
    const text = flash.slice(0, 300);
    url.searchParams.set('msg', text);
    url.searchParams.set('sig', flashSignature(text, url.searchParams.get('err') === '1'));
  }
  res.writeHead(303, { location: `${url.pathname}${url.search}`, 'cache-control': 'no-store', ...headers });
  res.end();
}

/**
 * The flash message of a page's URL when HIY wrote it (its signature holds); undefined otherwise, so a link
 * crafted elsewhere (`/?msg=Your session expired, sign in at evil.example`) shows nothing.
 */
export function flashOf(url: URL): { text: string; error: boolean } | undefined {
  const text = url.searchParams.get('msg');
  const sig = url.searchParams.get('sig');
  if (!text || !sig) return undefined;
  const error = url.searchParams.get('err') === '1';
  const want = Buffer.from(flashSignature(text, error));
  const got = Buffer.from(sig);
  return got.length === want.length && timingSafeEqual(got, want) ? { text, error } : undefined;
}

/** A url-encoded form body (forms post nothing else); limited to 256 KB (a whole resource's YAML fits). */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '');
  const raw = await readBody(req, 256 * 1024);
  if (raw.length > 0 && !type.startsWith('application/x-www-form-urlencoded'))
    throw new HttpError(415, 'UNSUPPORTED', 'send the form as application/x-www-form-urlencoded');
  return new URLSearchParams(raw.toString('utf8'));
}
