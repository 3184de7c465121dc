// Signing in and out: the sign-in page, one-time links (confirmed by a POST, so a link preview cannot use one),
// sessions opened and ended, every attempt rate-limited per client address and written to the audit log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../http.js';
import type { DashboardContext, Viewer } from './context.js';
import { type Html, html } from './html.js';
import { page } from './layout.js';
import { readForm, redirect, sendHtml } from './respond.js';
import { checkCsrf, checkSameOrigin, clearSession, clientAddress, sessionCookie } from './session.js';

export function signInPage(message?: { text: string; error: boolean }): Html {
  const body = html`<h1>Sign in to HIY</h1>
<p>HIY has no passwords. Get a one-time sign-in link with your SSH key, valid for 10 minutes:</p>
<pre>ssh hiy@YOUR-BOX login</pre>
<p>or, on the box itself: <code>hiy login USER</code>.</p>
<h2>Passkey</h2>
<p>If you registered a passkey after signing in with a link, use it:</p>
<p><button type="button" id="passkey-signin" data-passkey>Sign in with a passkey</button></p>
<div id="passkey-error" class="alert" role="alert" hidden></div>`;
  return page({
    title: 'Sign in',
    section: 'login',
    body,
    flash: message?.text,
    flashIsError: message?.error,
    passkeys: true,
  });
}

/** 429 when the client's address has failed to sign in too often lately (nothing is tried then). */
export function limitSignIn(ctx: DashboardContext, req: IncomingMessage): string {
  const address = clientAddress(req);
  if (ctx.limiter.blocked(address)) {
    throw new HttpError(
      429,
      'RATE_LIMITED',
      `too many sign-in attempts: try again in ${ctx.limiter.retryAfter(address)} s`,
      {
        retryAfter: ctx.limiter.retryAfter(address),
      },
    );
  }
  return address;
}

/** Opens a session for `user`, sets the cookie and writes the audit line. */
export async function openSession(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  user: string,
  method: 'link' | 'passkey',
): Promise<void> {
  const address = clientAddress(req);
  const { token, record } = await ctx.sessions.create(user, {
    method,
    address,
    ...(req.headers['user-agent'] ? { userAgent: String(req.headers['user-agent']) } : {}),
  });
  res.setHeader('set-cookie', sessionCookie(req, token));
  await ctx.audit.append({
    actor: user,
    via: 'dashboard',
    action: 'signin',
    result: 'ok',
    detail: `${method}; session ${record.id}; from ${address}`,
  });
}

/** A failed sign-in: counted against the address, and a line of the audit log. */
export async function auditRefused(
  ctx: DashboardContext,
  req: IncomingMessage,
  action: string,
  why: string,
): Promise<void> {
  ctx.limiter.failed(clientAddress(req));
  await ctx.audit.append({
    actor: 'anonymous',
    via: 'dashboard',
    action,
    result: 'unauthenticated',
    detail: `${why}; from ${clientAddress(req)}`,
  });
}

/** GET /login/link?t=…: asks to confirm (nothing is used yet), or says the link is no good. */
export async function linkPage(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  token: string,
): Promise<void> {
  const user = await ctx.links.peek(token);
  if (!user) {
    sendHtml(
      req,
      res,
      410,
      signInPage({
        text: 'This sign-in link was already used or has expired. Ask for a new one.',
        error: true,
      }),
    );
    return;
  }
  const body = html`<h1>Sign in as ${user}</h1>
<form method="post" action="/login/link"><input type="hidden" name="t" value="${token}">
<p>This link works once. Signing in opens a session in this browser for 12 hours of use (at most 7 days).</p>
<button type="submit" autofocus>Sign in as ${user}</button></form>`;
  sendHtml(req, res, 200, page({ title: 'Sign in', section: 'login', body }));
}

/** POST /login/link: uses the link and opens a session. */
export async function useLink(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  checkSameOrigin(req);
  limitSignIn(ctx, req);
  const form = await readForm(req);
  const user = await ctx.links.consume(form.get('t') ?? '');
  if (!user || !(await ctx.users.find(user))) {
    await auditRefused(
      ctx,
      req,
      'signin',
      user ? `user ${user} is not in the state repo` : 'used, expired or unknown link',
    );
    sendHtml(
      req,
      res,
      410,
      signInPage({
        text: 'This sign-in link was already used or has expired. Ask for a new one.',
        error: true,
      }),
    );
    return;
  }
  await openSession(ctx, req, res, user, 'link');
  redirect(res, '/', `Signed in as ${user}.`);
}

/** POST /logout. */
export async function signOut(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
): Promise<void> {
  const form = await readForm(req);
  checkCsrf(req, viewer, form.get('csrf') ?? undefined);
  await ctx.sessions.revoke(viewer.sessionId);
  await ctx.audit.append({
    actor: viewer.user.metadata.name,
    via: 'dashboard',
    action: 'signout',
    result: 'ok',
    detail: `session ${viewer.sessionId}; from ${viewer.address}`,
  });
  clearSession(req, res);
  redirect(res, '/login', 'Signed out.', { 'set-cookie': sessionCookie(req, undefined) });
}
