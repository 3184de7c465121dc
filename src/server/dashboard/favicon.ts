// The dashboard's icon (an SVG, a few hundred bytes): served so that no page logs a 404 for /favicon.ico.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A rounded square with "H", in the dashboard's colours. */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f4f8f"/><path d="M9 8h3v7h8V8h3v16h-3v-6h-8v6H9z" fill="#fff"/></svg>`;

/** Where pages link the icon; /favicon.ico (asked for by browsers on their own) answers the same. */
export const FAVICON_PATH = '/favicon.svg';

export function serveFavicon(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'image/svg+xml',
    'content-length': Buffer.byteLength(ICON),
    'cache-control': 'public, max-age=86400',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : ICON);
}
