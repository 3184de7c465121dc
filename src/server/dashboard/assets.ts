// The dashboard's static assets (CSS, the live-update script, the bundled passkey script), served compressed
// with long cache headers: their URLs carry a hash of their content, so a new version is a new URL.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { HttpError } from '../http.js';
import { CSS } from './style.js';

/** The live-update script: follows /live (SSE) and refreshes the page's main element when something happens. */
export const LIVE_JS = `// HIY dashboard: live updates over the event stream (the page works without this script).
(function () {
  var main = document.querySelector('main[data-live]');
  var list = document.querySelector('[data-live-events]');
  if (!main || !window.EventSource) return;
  var pending = null;
  function refresh() {
    pending = null;
    fetch(location.href, { headers: { 'x-hiy-live': '1' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) return;
        var doc = new DOMParser().parseFromString(text, 'text/html');
        var next = doc.querySelector('main[data-live]');
        var active = document.activeElement;
        if (next && (!active || !main.contains(active) || active === document.body)) {
          main.innerHTML = next.innerHTML;
          document.body.dataset.refreshed = String(Date.now());
        }
      })
      .catch(function () {});
  }
  // One stream per page (a browser opens at most 6 connections to a host): events, and the logs of the
  // resource shown, if any; closed when the page goes away.
  var logs = document.getElementById('logs');
  var source = new EventSource('/live' + (logs && logs.dataset.logs ? '?logs=' + encodeURIComponent(logs.dataset.logs) : ''));
  addEventListener('pagehide', function () { source.close(); });
  var status = document.getElementById('live-status');
  source.onopen = function () { if (status) status.textContent = 'live'; document.body.dataset.live = 'open'; };
  source.onerror = function () { if (status) status.textContent = 'reconnecting…'; };
  source.addEventListener('log', function (e) {
    var pre = document.getElementById('logs');
    if (!pre) return;
    var empty = document.getElementById('logs-empty');
    if (empty) empty.hidden = true;
    var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    var text = pre.textContent + '\\n' + e.data;
    pre.textContent = text.length > 60000 ? text.slice(-50000) : text;
    if (atEnd) pre.scrollTop = pre.scrollHeight;
    document.body.dataset.logLines = String(Number(document.body.dataset.logLines || 0) + 1);
  });
  function onEvent(e) {
    var ev;
    try { ev = JSON.parse(e.data); } catch (_) { return; }
    document.body.dataset.lastEvent = String(ev.seq);
    var only = main.getAttribute('data-resource');
    if (only && ev.resource && ev.resource !== only) return;
    if (list) {
      var li = document.createElement('li');
      li.textContent = ev.at.slice(11, 19) + ' ' + (ev.resource || '') + ' ' + ev.type + ': ' + ev.message;
      list.insertBefore(li, list.firstChild);
    }
    if (!pending) pending = setTimeout(refresh, 150);
  }
  ['reconcile.started','reconcile.finished','reconcile.failed','resource.applied','resource.failed',
   'resource.removed','drift.corrected','snapshot.taken','snapshot.failed','rollback.finished',
   'action.finished','action.failed'].forEach(function (t) { source.addEventListener(t, onEvent); });
})();
`;

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
  hash: string;
}

function asset(type: string, text: string | Buffer): Asset {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return {
    type,
    body,
    gzip: gzipSync(body),
    br: brotliCompressSync(body),
    hash: createHash('sha256').update(body).digest('hex').slice(0, 12),
  };
}

/**
 * The passkey script, bundled from ./client/passkey.ts with @simplewebauthn/browser by `npm run build` into
 * dist/static/, beside the bundle. Looked for from the running bundle, then from src/ (tests run src/).
 */
function readPasskeyScript(): Buffer | undefined {
  for (const rel of ['../static/passkey.js', '../../../dist/static/passkey.js']) {
    try {
      return readFileSync(fileURLToPath(new URL(rel, import.meta.url)));
    } catch {
      // next place
    }
  }
  return undefined;
}

const NO_PASSKEY_JS = `document.querySelectorAll('[data-passkey]').forEach(function (b) { b.disabled = true;
  b.title = 'passkeys need npm run build'; });`;

let cache: Map<string, Asset> | undefined;

function assets(): Map<string, Asset> {
  if (!cache) {
    cache = new Map([
      ['hiy.css', asset('text/css; charset=utf-8', CSS)],
      ['live.js', asset('text/javascript; charset=utf-8', LIVE_JS)],
      ['passkey.js', asset('text/javascript; charset=utf-8', readPasskeyScript() ?? NO_PASSKEY_JS)],
    ]);
  }
  return cache;
}

/** `/static/hiy.css?v=HASH`: the URL of an asset, which changes when its content does. */
export function assetUrl(name: 'hiy.css' | 'live.js' | 'passkey.js'): string {
  return `/static/${name}?v=${assets().get(name)!.hash}`;
}

/** Picks br, gzip or nothing from the request's Accept-Encoding. */
export function chooseEncoding(req: IncomingMessage): 'br' | 'gzip' | undefined {
  const accept = String(req.headers['accept-encoding'] ?? '');
  if (/\bbr\b/.test(accept)) return 'br';
  if (/\bgzip\b/.test(accept)) return 'gzip';
  return undefined;
}

/** Serves `/static/NAME`; cached for a year (immutable) since the URL carries the content's hash. */
export function serveAsset(req: IncomingMessage, res: ServerResponse, name: string): void {
  const a = assets().get(name);
  if (!a) throw new HttpError(404, 'NOT_FOUND', `no such file: /static/${name}`);
  const enc = chooseEncoding(req);
  const body = enc === 'br' ? a.br : enc === 'gzip' ? a.gzip : a.body;
  const etag = `"${a.hash}"`;
  const headers: Record<string, string> = {
    'content-type': a.type,
    'cache-control': 'public, max-age=31536000, immutable',
    etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...headers,
    ...(enc ? { 'content-encoding': enc } : {}),
    'content-length': String(body.length),
  });
  res.end(body);
}
