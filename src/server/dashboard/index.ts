// The dashboard's routes on the API's HTTP server: pages for the signed-in viewer, sign-in, actions, the live
// event stream and static assets. Paths it does not own (/api/, /hooks/, /healthz, /metrics) are left alone.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowed } from '../../access/grants.js';
import { errorMessage } from '../../model/errors.js';
import { HttpError, sendError } from '../http.js';
import { eventVisibleTo } from '../visibility.js';
import { accountAction, applyAction, resourceAction, runAction } from './actions.js';
import { serveAsset } from './assets.js';
import { buildLogPage, cancelBuildAction } from './build.js';
import { restartConfirmation, rollbackConfirmation } from './confirm.js';
import type { DashboardContext, Viewer } from './context.js';
import { editAction, editPage } from './edit.js';
import { eventsPage } from './events.js';
import { FAVICON_PATH, serveFavicon } from './favicon.js';
import { html } from './html.js';
import { page } from './layout.js';
import { followLogs } from './logs.js';
import { mePage } from './me.js';
import { overviewPage } from './overview.js';
import {
  authenticationOptions,
  registerPasskey,
  registrationOptions,
  signInWithPasskey,
} from './passkeys.js';
import { peoplePage } from './people.js';
import { planPage } from './plan.js';
import { boxHostOf } from './reach.js';
import { resourcePage } from './resource.js';
import { flashOf, redirect, sendHtml } from './respond.js';
import { currentViewer, parseCookies, SESSION_COOKIE, sessionCookie } from './session.js';
import { linkPage, signInPage, signOut, useLink } from './signin.js';

export { createDashboardContext, type DashboardContext } from './context.js';

const OWNED = /^\/(?:$|login|logout|r\/|plan|events|people|me|live$|static\/|favicon\.(?:ico|svg)$)/;
const JSON_PATHS = /^\/(?:login\/passkey|me\/passkeys(?:\/options)?$|live$)/;
const RESOURCE =
  /^\/r\/((?:app|port)\/[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)(?:\/(rollback|restart|unpin|snapshot|restore|edit|cancel-build|build\/([0-9a-f]{7,64})))?$/;

/** Answers a dashboard request; false when the path is not the dashboard's. */
export async function handleDashboard(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://hiy');
  const path = url.pathname;
  if (!OWNED.test(path)) return false;
  try {
    await route(ctx, req, res, url);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return true;
    }
    const http =
      err instanceof HttpError
        ? err
        : new HttpError(500, 'INTERNAL', `something went wrong on the server: ${errorMessage(err)}`);
    if (!(err instanceof HttpError))
      ctx.logger.error({ err: errorMessage(err), path }, 'dashboard request failed');
    if (JSON_PATHS.test(path)) sendError(res, http);
    else sendHtml(req, res, http.status, errorPage(http));
  }
  return true;
}

function errorPage(err: HttpError) {
  const title =
    err.status === 403
      ? 'Not allowed'
      : err.status === 404
        ? 'Not found'
        : err.status === 429
          ? 'Too many attempts'
          : err.status >= 500
            ? 'Server error'
            : 'Cannot do that';
  return page({
    title,
    section: 'error',
    body: html`<h1>${title}</h1><p class="alert" role="alert">${err.message[0]!.toUpperCase()}${err.message.slice(1)}.</p><p><a href="/">Back to the overview</a></p>`,
  });
}

async function route(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const path = url.pathname;
  const get = req.method === 'GET' || req.method === 'HEAD';
  const post = req.method === 'POST';
  if (path.startsWith('/static/') && get) return serveAsset(req, res, path.slice('/static/'.length));
  if ((path === '/favicon.ico' || path === FAVICON_PATH) && get) return serveFavicon(req, res);

  // Sign-in needs no session.
  if (path === '/login' && get) {
    if (await currentViewer(ctx, req)) return redirect(res, '/');
    return sendHtml(req, res, 200, signInPage(flashOf(url)));
  }
  if (path === '/login/link' && get) return linkPage(ctx, req, res, url.searchParams.get('t') ?? '');
  if (path === '/login/link' && post) return useLink(ctx, req, res);
  if (path === '/login/passkey/options' && post) return authenticationOptions(ctx, req, res);
  if (path === '/login/passkey' && post) return signInWithPasskey(ctx, req, res);

  const viewer = await currentViewer(ctx, req);
  if (!viewer) {
    if (get && path !== '/live') return redirect(res, '/login');
    throw new HttpError(401, 'UNAUTHENTICATED', 'sign in first (your session ended or was revoked)');
  }
  // The cookie lives as long as the session may: 12 h from the last use, so each page renews it.
  if (get) res.setHeader('set-cookie', sessionCookie(req, parseCookies(req)[SESSION_COOKIE]));
  if (path === '/logout' && post) return signOut(ctx, req, res, viewer);
  if (path === '/live' && get) return liveEvents(ctx, res, viewer, url.searchParams.get('logs') ?? undefined);

  if (get) {
    if (path === '/') return sendHtml(req, res, 200, await overviewPage(ctx, viewer, flashOf(url)?.text));
    if (path === '/plan') return sendHtml(req, res, 200, await planPage(ctx, viewer, flashOf(url)));
    if (path === '/events')
      return sendHtml(
        req,
        res,
        200,
        await eventsPage(ctx, viewer, url.searchParams.get('resource') || undefined),
      );
    if (path === '/me') return sendHtml(req, res, 200, await mePage(ctx, viewer, flashOf(url)));
    if (path === '/people') {
      requireAdmin(viewer);
      return sendHtml(req, res, 200, await peoplePage(ctx, viewer, flashOf(url)));
    }
  }
  if (post && path === '/me/passkeys/options') return registrationOptions(ctx, req, res, viewer);
  if (post && path === '/me/passkeys') return registerPasskey(ctx, req, res, viewer);
  if (post && path === '/plan/apply') return runAction(ctx, req, res, viewer, applyAction(ctx, viewer));
  const account = post ? accountAction(ctx, path, viewer) : undefined;
  if (account) return runAction(ctx, req, res, viewer, account);

  const m = RESOURCE.exec(path);
  if (m) {
    const id = m[1]!;
    const verb = m[2];
    if (!isAllowed(viewer.user, 'read', id)) {
      if (post) {
        // Audited like any refused action.
        const spec =
          verb === 'cancel-build'
            ? cancelBuildAction(ctx, id, viewer)
            : verb
              ? resourceAction(ctx, id, verb)
              : undefined;
        if (spec) return runAction(ctx, req, res, viewer, spec);
      }
      throw new HttpError(404, 'NOT_FOUND', `no resource ${id} that you may see`);
    }
    if (get && !verb) {
      const body = await resourcePage(ctx, viewer, id, flashOf(url), boxHostOf(req.headers.host));
      if (!body) throw new HttpError(404, 'NOT_FOUND', `no resource ${id}`);
      return sendHtml(req, res, 200, body);
    }
    if (verb === 'edit') {
      if (get)
        return sendHtml(req, res, 200, await editPage(ctx, viewer, id, url.searchParams.get('yaml') === '1'));
      if (post) return editAction(ctx, req, res, viewer, id);
    }
    if (get && m[3]) return buildLogPage(ctx, req, res, viewer, id, m[3]);
    // The confirmation step of Roll back and Restart (the POST refuses without it).
    if (get && verb === 'rollback')
      return sendHtml(req, res, 200, await rollbackConfirmation(ctx, viewer, id, url.searchParams));
    if (get && verb === 'restart') return sendHtml(req, res, 200, await restartConfirmation(ctx, viewer, id));
    if (post && verb === 'cancel-build')
      return runAction(ctx, req, res, viewer, cancelBuildAction(ctx, id, viewer));
    const spec = post && verb ? resourceAction(ctx, id, verb) : undefined;
    if (spec) return runAction(ctx, req, res, viewer, spec);
  }
  throw new HttpError(
    get || post ? 404 : 405,
    get || post ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED',
    `no such page: ${req.method} ${path}`,
  );
}

function requireAdmin(viewer: Viewer): void {
  if (!isAllowed(viewer.user, 'administer', '*'))
    throw new HttpError(403, 'FORBIDDEN', `${viewer.user.metadata.name} is not an admin on "*"`);
}

/**
 * GET /live: the controller's events the viewer may see, as Server-Sent Events (as /api/v1/events), and with
 * `?logs=/r/KIND/NAME/logs` the output of that resource's container as `log` events, on the same connection.
 */
async function liveEvents(
  ctx: DashboardContext,
  res: ServerResponse,
  viewer: Viewer,
  logs: string | undefined,
): Promise<void> {
  const logsOf = logs ? /^\/r\/((?:app|port)\/[a-z0-9-]{1,63})\/logs$/.exec(logs)?.[1] : undefined;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.write(': connected\n\n');
  const unsubscribe = ctx.controller.subscribe((e) => {
    const shown = eventVisibleTo(
      e,
      (id) => isAllowed(viewer.user, 'read', id),
      isAllowed(viewer.user, 'read', '*'),
    );
    if (!shown) return;
    res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(shown)}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  heartbeat.unref();
  const abort = new AbortController();
  const closed = new Promise<void>((resolve) => {
    res.on('close', () => {
      abort.abort();
      resolve();
    });
  });
  if (logsOf && isAllowed(viewer.user, 'read', logsOf)) void followLogs(ctx, res, logsOf, abort.signal);
  await closed;
  clearInterval(heartbeat);
  unsubscribe();
}
