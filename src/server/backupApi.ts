// The backup routes of the API: list (read), backup now and drill (the snapshot grant), restore (the rollback
// grant). The target is resolved to one resource, the grant checked, then the backup code runs; every mutating
// call is audited. A whole-box backup or drill (no resource) needs the grant on `*`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowed, type Operation } from '../access/grants.js';
import { resolveTarget, workloadNamesOfIds } from '../access/targets.js';
import { backupNow } from '../backup/backupNow.js';
import { drillBackups } from '../backup/drill.js';
import { listEverything, listingOf, visibleListing } from '../backup/list.js';
import { restoreFromBackup } from '../backup/restore.js';
import { loadDesired } from '../engine/engine.js';
import { errorMessage, hasCode } from '../model/errors.js';
import { type Caller, requireGrant } from './auth.js';
import { HttpError, readJson, sendJson } from './http.js';
import { type OperationsContext as ApiContext, audit } from './operationsApi.js';

const PATH = /^\/api\/v1\/backups(?:\/(restore|drill))?$/;

/** What each route needs: `POST /api/v1/backups` backs up now. */
const ROUTES: Record<string, { op: Operation; action?: string }> = {
  'GET ': { op: 'read' },
  'POST ': { op: 'snapshot', action: 'backup.now' },
  'POST restore': { op: 'rollback', action: 'backup.restore' },
  'POST drill': { op: 'snapshot', action: 'backup.drill' },
};

/** `blog`, `app/blog` or `port/db` → the resource id (404 when there is none); undefined → the whole box. */
async function resolve(ctx: ApiContext, name: unknown): Promise<string> {
  if (name === undefined) return '*';
  if (typeof name !== 'string' || name === '')
    throw new HttpError(400, 'BAD_REQUEST', '"resource" must be a resource name');
  const desired = await loadDesired(ctx.engine);
  const target = resolveTarget(name, workloadNamesOfIds(desired.state?.workloads.map((w) => w.id) ?? []));
  if (!target.ok) throw new HttpError(404, 'NOT_FOUND', target.message);
  return target.id;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new HttpError(400, 'BAD_REQUEST', `"${key}" must be a string`);
  return v;
}

/** Answers the backup routes; false when the path is not one of them. */
export async function handleBackups(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://hiy');
  const m = PATH.exec(url.pathname);
  if (!m) return false;
  const what = m[1] ?? '';
  const route = ROUTES[`${req.method} ${what}`];
  if (!route) {
    const allowed = Object.keys(ROUTES)
      .filter((k) => k.endsWith(` ${what}`))
      .map((k) => k.split(' ')[0]);
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`, {
      allowed,
    });
  }
  let caller: Caller | undefined;
  let target: string | undefined;
  try {
    caller = await ctx.auth.authenticate(req);
    const body =
      req.method === 'GET'
        ? Object.fromEntries([...url.searchParams].filter(([, v]) => v !== ''))
        : await readJson(req);
    if (what === 'restore' && body.resource === undefined)
      throw new HttpError(400, 'BAD_REQUEST', 'give the resource: {"resource": "NAME"}');
    target = await resolve(ctx, body.resource);
    // Listing everything shows what the caller may read; acting on everything needs the grant on `*`.
    if (!(req.method === 'GET' && target === '*')) requireGrant(caller, route.op, target);
    const backup = optionalString(body, 'backup');
    const resource = target === '*' ? undefined : target;
    const opts = { ...(backup && { backup }), ...(resource && { resource }) };
    let detail: string | undefined;
    let ok = true;
    if (req.method === 'GET') {
      // The whole box: what the caller may read of it (hosted repositories by their App, HIY's own state with
      // read on `*`); one resource: its volumes' backups and, for an App, its hosted repository's.
      const all = await listEverything(ctx.engine, backup ? { backup } : {});
      const who = caller;
      const listing = resource
        ? listingOf(all, resource)
        : visibleListing(all, (r) => isAllowed(who.user, 'read', r));
      sendJson(res, 200, {
        backups: listing.backups,
        repositories: listing.repositories,
        ...(!resource && { boxState: listing.boxState }),
      });
    } else if (what === '') {
      const run = await backupNow(ctx.engine, opts);
      ok = run.failures.length === 0;
      detail = `${run.volumes.length} volume(s) backed up, ${run.failures.length} failed`;
      sendJson(res, 200, run);
    } else if (what === 'drill') {
      const drills = await drillBackups(ctx.engine, opts);
      ok = drills.every((d) => d.passed);
      detail = `${drills.filter((d) => d.passed).length}/${drills.length} drill(s) passed`;
      sendJson(res, 200, { ok, drills });
    } else {
      const id = optionalString(body, 'id');
      const restored = await restoreFromBackup(ctx.engine, {
        resource: resource!,
        ...(backup && { backup }),
        ...(id && { id }),
      });
      detail = restored.map((o) => `${o.volume} ← ${o.backupId.slice(0, 8)}`).join(', ');
      sendJson(res, 200, { restored });
    }
    if (route.action) await audit(ctx, caller, route.action, target, ok ? 'ok' : 'failed', detail);
  } catch (err) {
    const http = httpOf(err);
    if (route.action) {
      const result = http?.status === 401 ? 'unauthenticated' : http?.status === 403 ? 'denied' : 'failed';
      await audit(ctx, caller, route.action, target ?? '-', result, errorMessage(err));
    }
    throw http ?? err;
  }
  return true;
}

/** A backup that cannot be done as asked, a lock held or restic failing: 409 with the (secret-free) message. */
function httpOf(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (hasCode(err, 'LOCKED')) return new HttpError(409, 'BUSY', errorMessage(err));
  for (const code of ['BACKUP_FAILED', 'RESTIC_FAILED', 'DATA_COMMAND_REFUSED'])
    if (hasCode(err, code)) return new HttpError(409, code, errorMessage(err));
  return undefined;
}
