// The JSON API under /api/v1/: reads filtered by the caller's grants, actions through the controller or the
// reconcile functions, every mutating call (allowed or not) written to the audit log.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { hasAnyRole, isAllowed, REQUIRED_ROLE } from '../access/grants.js';
import { resolveTarget, workloadNamesOfIds } from '../access/targets.js';
import { createSnapshots, DataCommandError, snapshotsOf } from '../data/commands.js';
import { RollbackError, rollback } from '../data/rollback.js';
import { computePlan, type Engine, loadDesired } from '../engine/engine.js';
import { computeStatusView } from '../engine/statusView.js';
import { StateRepoInvalidError } from '../model/diagnostics.js';
import { errorMessage, hasCode } from '../model/errors.js';
import type { Controller, ControllerEvent } from '../model/events.js';
import { parseResourceId, resourceId } from '../model/names.js';
import { type Authenticator, type Caller, requireGrant } from './auth.js';
import { handleBackups } from './backupApi.js';
import { HttpError, readJson, sendJson } from './http.js';
import { handleOperations } from './operationsApi.js';
import { eventVisibleTo, planVisibleTo, statusVisibleTo } from './visibility.js';

export interface ApiContext {
  engine: Engine;
  controller: Controller;
  auth: Authenticator;
  audit: Engine['stores']['audit'];
  logger: Logger;
}

type Handler = (
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
) => Promise<void>;

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: Handler;
}

const canView = (caller: Caller, resource: string) => isAllowed(caller.user, 'read', resource);

async function workloadIds(engine: Engine): Promise<string[]> {
  const desired = await loadDesired(engine);
  return desired.state?.workloads.map((w) => w.id) ?? [];
}

/** Turns what the reconcile layer throws into HTTP answers; anything unexpected stays a 500. */
function toHttp(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof StateRepoInvalidError)
    return new HttpError(422, err.code, err.message, { diagnostics: err.diagnostics });
  // The apply lock is held (by the daemon's run or a shell's command): decided by the error's code.
  if (hasCode(err, 'LOCKED')) return new HttpError(409, 'BUSY', err.message);
  if (err instanceof RollbackError) return new HttpError(409, err.code, err.message);
  if (err instanceof DataCommandError) return new HttpError(409, err.code, err.message);
  return undefined;
}

/** Runs a mutating action: authenticate, check the grant, act, and audit every outcome. */
async function mutate(
  ctx: ApiContext,
  req: IncomingMessage,
  action: string,
  resolve: (body: Record<string, unknown>) => Promise<string>,
  authorize: (caller: Caller, target: string) => void,
  act: (
    caller: Caller,
    target: string,
    body: Record<string, unknown>,
  ) => Promise<{ result: unknown; detail?: string; ok?: boolean }>,
): Promise<unknown> {
  let caller: Caller | undefined;
  let target: string | undefined;
  try {
    caller = await ctx.auth.authenticate(req);
    const body = await readJson(req);
    target = await resolve(body);
    authorize(caller, target);
    const { result, detail, ok = true } = await act(caller, target, body);
    await ctx.audit.append({
      actor: caller.user.metadata.name,
      via: 'api',
      action,
      target,
      result: ok ? 'ok' : 'failed',
      ...(detail ? { detail } : {}),
    });
    return result;
  } catch (err) {
    const http = toHttp(err);
    await ctx.audit.append({
      actor: caller?.user.metadata.name ?? 'anonymous',
      via: 'api',
      action,
      ...(target ? { target } : {}),
      result: http?.status === 401 ? 'unauthenticated' : http?.status === 403 ? 'denied' : 'failed',
      detail: errorMessage(err),
    });
    throw http ?? err;
  }
}

function filterEvent(caller: Caller, e: ControllerEvent): ControllerEvent | undefined {
  return eventVisibleTo(e, (id) => canView(caller, id), isAllowed(caller.user, 'read', '*'));
}

const routes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/api\/v1\/status$/,
    handler: async (ctx, req, res) => {
      const caller = await ctx.auth.authenticate(req);
      const whole = isAllowed(caller.user, 'read', '*');
      // Certificates name every route host: only a whole-box reader gets them (and pays the handshakes).
      const view = await computeStatusView(ctx.engine, { certificates: whole });
      if (whole) {
        sendJson(res, 200, view);
        return;
      }
      sendJson(
        res,
        200,
        statusVisibleTo(view, (id) => canView(caller, id)),
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/resources$/,
    handler: async (ctx, req, res) => {
      const caller = await ctx.auth.authenticate(req);
      const desired = await loadDesired(ctx.engine);
      if (!desired.state) throw new StateRepoInvalidError(desired.diagnostics);
      const items = desired.state.resources
        .map((lr) => ({ id: resourceId(lr.resource.kind, lr.resource.metadata.name), lr }))
        // Users (their keys and grants) are for those who administer everything.
        .filter(({ id, lr }) =>
          lr.resource.kind === 'User' ? isAllowed(caller.user, 'administer', '*') : canView(caller, id),
        )
        .map(({ id, lr }) => ({ id, file: lr.file, line: lr.line, ...lr.resource }));
      sendJson(res, 200, { commit: desired.state.commit, resources: items });
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/releases\/([a-z0-9/-]+)$/,
    handler: async (ctx, req, res, [name]) => {
      const caller = await ctx.auth.authenticate(req);
      const store = ctx.engine.stores.releases;
      const candidates = parseResourceId(name!) ? [name!] : [`app/${name}`, `port/${name}`];
      let id = candidates[0]!;
      let releases = await store.list(id);
      for (const c of candidates.slice(1)) {
        if (releases.length > 0) break;
        id = c;
        releases = await store.list(c);
      }
      requireGrant(caller, 'read', id);
      sendJson(res, 200, { resource: id, releases: [...releases].reverse() });
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/snapshots$/,
    handler: async (ctx, req, res) => {
      const caller = await ctx.auth.authenticate(req);
      const url = new URL(req.url ?? '/', 'http://hiy');
      const name = url.searchParams.get('resource') ?? undefined;
      const all = await snapshotsOf(ctx.engine, name);
      sendJson(res, 200, { snapshots: all.filter((m) => canView(caller, m.resource)) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/plan$/,
    handler: async (ctx, req, res) => {
      const caller = await ctx.auth.authenticate(req);
      const { plan } = await computePlan(ctx.engine);
      if (isAllowed(caller.user, 'read', '*')) {
        sendJson(res, 200, plan);
        return;
      }
      // Someone granted a few apps sees their actions only, and not the whole proxy state.
      sendJson(
        res,
        200,
        planVisibleTo(plan, (id) => canView(caller, id)),
      );
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/v1\/reconcile$/,
    handler: async (ctx, req, res) => {
      const outcome = await mutate(
        ctx,
        req,
        'reconcile',
        async () => '*',
        (caller) => {
          // A reconcile only converges to what is committed; deploy on any App is enough to ask for one.
          if (!hasAnyRole(caller.user, REQUIRED_ROLE.reconcile)) {
            const who = caller.user.metadata.name;
            throw new HttpError(403, 'FORBIDDEN', `user ${who} may not start a reconcile`);
          }
        },
        async (caller) => {
          const o = await ctx.controller.enqueue({ kind: 'api', detail: caller.user.metadata.name });
          return { result: o, ok: o.ok, detail: o.commit ? `commit ${o.commit}` : o.error };
        },
      );
      sendJson(res, 200, outcome);
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/v1\/rollback$/,
    handler: async (ctx, req, res) => {
      const outcome = await mutate(
        ctx,
        req,
        'rollback',
        (body) => targetOf(ctx, body),
        (caller, id) => requireGrant(caller, 'rollback', id),
        async (_caller, id, body) => {
          const to = body.to;
          if (to !== undefined && (typeof to !== 'number' || !Number.isInteger(to)))
            throw new HttpError(400, 'BAD_REQUEST', '"to" must be a release number');
          const o = await rollback(ctx.engine, {
            name: id,
            to: to as number | undefined,
            withData: body.withData === true,
          });
          return {
            result: {
              resource: o.resource,
              from: o.from,
              to: o.to,
              ok: o.result.ok,
              results: o.result.results,
              pinned: o.pinned,
            },
            ok: o.result.ok,
            detail: `release ${o.from} → ${o.to}`,
          };
        },
      );
      sendJson(res, 200, outcome);
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/v1\/snapshots$/,
    handler: async (ctx, req, res) => {
      const outcome = await mutate(
        ctx,
        req,
        'snapshot.create',
        (body) => targetOf(ctx, body),
        (caller, id) => requireGrant(caller, 'snapshot', id),
        async (_caller, id) => {
          const taken = await createSnapshots(ctx.engine, id);
          return {
            result: { resource: id, snapshots: taken },
            detail: taken.map((m) => `${m.volume}/${m.id}`).join(', '),
          };
        },
      );
      sendJson(res, 201, outcome);
    },
  },
];

/** The resource named by a request body's `resource` (`greeter` or `port/greeter`), which must exist. */
async function targetOf(ctx: ApiContext, body: Record<string, unknown>): Promise<string> {
  if (typeof body.resource !== 'string' || body.resource === '')
    throw new HttpError(400, 'BAD_REQUEST', 'give the resource: {"resource": "NAME"}');
  // The one resolver (access/targets.ts): app/NAME is the App NAME only, never a Port of that name.
  const target = resolveTarget(body.resource, workloadNamesOfIds(await workloadIds(ctx.engine)));
  if (!target.ok) throw new HttpError(404, 'NOT_FOUND', target.message);
  return target.id;
}

/** Live events as Server-Sent Events, filtered by the caller's grants; a comment line every 15 s keeps it open. */
async function events(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const caller = await ctx.auth.authenticate(req);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.write(': connected\n\n');
  const unsubscribe = ctx.controller.subscribe((e) => {
    const shown = filterEvent(caller, e);
    if (!shown) return;
    res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(shown)}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  heartbeat.unref();
  await new Promise<void>((resolve) => {
    res.on('close', resolve);
  });
  clearInterval(heartbeat);
  unsubscribe();
}

/** Answers an /api/v1/ request; false when no route matches the path. */
export async function handleApi(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://hiy').pathname;
  if (path === '/api/v1/events' && req.method === 'GET') {
    await events(ctx, req, res);
    return true;
  }
  if (await handleOperations(ctx, req, res)) return true;
  if (await handleBackups(ctx, req, res)) return true;
  const matching = routes.filter((r) => r.pattern.test(path));
  if (matching.length === 0) return false;
  const route = matching.find((r) => r.method === req.method);
  if (!route) {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`, {
      allowed: matching.map((r) => r.method),
    });
  }
  try {
    await route.handler(ctx, req, res, (route.pattern.exec(path) ?? []).slice(1));
  } catch (err) {
    throw toHttp(err) ?? err;
  }
  return true;
}
