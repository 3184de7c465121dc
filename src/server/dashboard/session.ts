// Cookies, CSRF tokens and the signed-in viewer of a dashboard request: HTTP concerns, so they live in src/server.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionRecord } from '../../store/sessions.js';
import { SESSION_IDLE_MS } from '../../store/sessions.js';
import { HttpError } from '../http.js';
import type { DashboardContext, Viewer } from './context.js';

export const SESSION_COOKIE = 'hiy_session';

export function parseCookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/** Whether the request reached us over HTTPS (directly, or through HIY's Caddy, which sets X-Forwarded-Proto). */
export function isHttps(req: IncomingMessage): boolean {
  return (
    (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https'
  );
}

/**
 * The client address: Caddy's X-Forwarded-For when the request came through HIY's Caddy on loopback (the server
 * drops the header from any other request: `forwardedGate`), else the socket's.
 */
export function clientAddress(req: IncomingMessage): string {
  const socket = req.socket.remoteAddress ?? 'unknown';
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')[0]
    ?.trim();
  const local = socket === '127.0.0.1' || socket === '::1' || socket === '::ffff:127.0.0.1';
  return local && forwarded ? forwarded : socket;
}

/** The session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, lasting as long as the idle expiry. */
export function sessionCookie(req: IncomingMessage, token: string | undefined): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(isHttps(req) ? ['Secure'] : [])];
  if (token === undefined) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attrs].join('; ');
  return [`${SESSION_COOKIE}=${token}`, `Max-Age=${SESSION_IDLE_MS / 1000}`, ...attrs].join('; ');
}

export function csrfTokenFor(ctx: DashboardContext, session: Pick<SessionRecord, 'id'>): string {
  return createHmac('sha256', ctx.csrfKey).update(`csrf:${session.id}`).digest('base64url');
}

/** The signed-in viewer, or undefined (no cookie, an unknown or expired session, or a User removed since). */
export async function currentViewer(
  ctx: DashboardContext,
  req: IncomingMessage,
): Promise<Viewer | undefined> {
  const token = parseCookies(req)[SESSION_COOKIE];
  if (!token) return undefined;
  const session = await ctx.sessions.verify(token);
  if (!session) return undefined;
  const user = await ctx.users.find(session.user);
  if (!user) return undefined;
  return { user, sessionId: session.id, csrf: csrfTokenFor(ctx, session), address: clientAddress(req) };
}

/**
 * Refuses a state-changing request from another site: a browser always sends Origin on a cross-site POST, and
 * it must name the host the request was sent to. Used for sign-in forms, which have no session yet.
 */
export function checkSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') {
    if (req.headers['sec-fetch-site'] === 'cross-site')
      throw new HttpError(403, 'CSRF', 'this form was sent from another site: refused');
    return;
  }
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new HttpError(403, 'CSRF', 'this request has a malformed Origin: refused');
  }
  if (host !== req.headers.host)
    throw new HttpError(403, 'CSRF', 'this form was sent from another site: refused');
}

/** Throws 403 unless `given` is the viewer's CSRF token (and the request is same-origin). */
export function checkCsrf(req: IncomingMessage, viewer: Viewer, given: string | undefined): void {
  checkSameOrigin(req);
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(viewer.csrf);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    throw new HttpError(
      403,
      'CSRF',
      'the form is missing its security token or it is stale: reload the page and try again',
    );
}

export function clearSession(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('set-cookie', sessionCookie(req, undefined));
}
