// The everyday operations in the API: /api/v1/resources/NAME/{logs,restart,run,exec,config}, with the same grants
// as over SSH (logs, config: view; restart, run, config changes: deploy; exec: admin) and every change audited.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasRole, REQUIRED_ROLE, type Role } from '../access/grants.js';
import { StateEditError } from '../desired/edit.js';
import { CommitRefusedError } from '../drivers/git/commit.js';
import { BuildCancelError, cancelBuild, listBuilds } from '../engine/builds.js';
import { editConfig, showConfig } from '../engine/config.js';
import type { Engine } from '../engine/engine.js';
import { resourceLogs } from '../engine/logs.js';
import { execInResource, runOneOff } from '../engine/oneOff.js';
import { OperationError } from '../engine/resourceTarget.js';
import { restartResource } from '../engine/restart.js';
import { StateRepoInvalidError } from '../model/diagnostics.js';
import { errorMessage } from '../model/errors.js';
import type { AuditLog } from '../store/audit.js';
import type { Authenticator, Caller } from './auth.js';
import { HttpError, readJson, sendJson } from './http.js';

/** What the operation routes need of the API's context. */
export interface OperationsContext {
  engine: Engine;
  auth: Authenticator;
  audit: AuditLog;
}
type ApiContext = OperationsContext;

/** Output of a run kept for the reply. */
const RUN_OUTPUT_LIMIT = 1024 * 1024;

const PATH =
  /^\/api\/v1\/resources\/((?:app\/|port\/)?[a-z0-9-]+)\/(logs|restart|run|exec|config|builds|builds\/cancel)$/;

/** The role each operation needs, and the method that asks for it. */
const OPERATIONS: Record<string, { method: string; role: Role; action?: string }> = {
  'GET logs': { method: 'GET', role: 'view' },
  'GET config': { method: 'GET', role: 'view' },
  'PATCH config': { method: 'PATCH', role: 'deploy', action: 'config.edit' },
  'POST restart': { method: 'POST', role: REQUIRED_ROLE.restart, action: 'restart' },
  'POST run': { method: 'POST', role: 'deploy', action: 'run' },
  'GET builds': { method: 'GET', role: 'view' },
  'POST builds/cancel': { method: 'POST', role: REQUIRED_ROLE.cancelBuild, action: 'build.cancel' },
  // As over SSH: a command in the running container reaches what it holds (a port's data, its secrets).
  'POST exec': { method: 'POST', role: 'admin', action: 'exec' },
};

function httpOf(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof OperationError) {
    const status =
      err.code === 'RESOURCE_UNKNOWN' || err.code === 'JOB_UNKNOWN' || err.code === 'NO_PREVIOUS'
        ? 404
        : err.code === 'EXEC_USER_INVALID'
          ? 400
          : 409;
    return new HttpError(status, err.code, err.message);
  }
  if (err instanceof StateEditError) {
    return new HttpError(err.code.startsWith('EDIT_TARGET') ? 404 : 400, err.code, err.message);
  }
  if (err instanceof CommitRefusedError) return new HttpError(409, err.code, err.message);
  if (err instanceof BuildCancelError) return new HttpError(409, err.code, err.message);
  if (err instanceof StateRepoInvalidError)
    return new HttpError(422, err.code, err.message, { diagnostics: err.diagnostics });
  return undefined;
}

/** `blog` → `app/blog` or `port/blog` as the state repo has it (for the grant), via the config reader. */
async function resourceIdOf(ctx: ApiContext, name: string): Promise<string> {
  return (await showConfig(ctx.engine, name)).resource;
}

/** Answers the operation routes; false when the path is not one of them. */
export async function handleOperations(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://hiy');
  const m = PATH.exec(url.pathname);
  if (!m) return false;
  const [, name, what] = m as unknown as [string, string, string];
  const op = OPERATIONS[`${req.method} ${what}`];
  if (!op) {
    const allowed = Object.entries(OPERATIONS)
      .filter(([k]) => k.endsWith(` ${what}`))
      .map(([, v]) => v.method);
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`, {
      allowed,
    });
  }
  let caller: Caller | undefined;
  let id: string | undefined;
  try {
    caller = await ctx.auth.authenticate(req);
    id = await resourceIdOf(ctx, name);
    if (!hasRole(caller.user, id, op.role)) {
      throw new HttpError(
        403,
        'FORBIDDEN',
        `user ${caller.user.metadata.name} needs the ${op.role} role on ${id}`,
      );
    }
    const detail = await act(ctx, req, res, { caller, id, name, what, url });
    if (op.action) await audit(ctx, caller, op.action, id, 'ok', detail);
  } catch (err) {
    const http = httpOf(err);
    if (op.action) {
      const result = http?.status === 401 ? 'unauthenticated' : http?.status === 403 ? 'denied' : 'failed';
      await audit(ctx, caller, op.action, id ?? name, result, errorMessage(err));
    }
    throw http ?? err;
  }
  return true;
}

/** One line of the audit log for an API call (also the backup endpoints'). */
export function audit(
  ctx: ApiContext,
  caller: Caller | undefined,
  action: string,
  target: string,
  result: 'ok' | 'failed' | 'denied' | 'unauthenticated',
  detail?: string,
) {
  return ctx.audit.append({
    actor: caller?.user.metadata.name ?? 'anonymous',
    via: 'api',
    action,
    target,
    result,
    ...(detail ? { detail } : {}),
  });
}

interface Request {
  caller: Caller;
  id: string;
  name: string;
  what: string;
  url: URL;
}

/** Does the operation and replies; returns the audit detail. */
async function act(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  r: Request,
): Promise<string | undefined> {
  const { engine } = ctx;
  if (r.what === 'logs') {
    await logs(ctx, req, res, r);
    return undefined;
  }
  if (r.what === 'builds') {
    sendJson(res, 200, { resource: r.id, builds: await listBuilds(engine, r.id) });
    return undefined;
  }
  if (r.what === 'builds/cancel') {
    const ended = await cancelBuild(engine, r.id, `${r.caller.user.metadata.name} (api)`);
    sendJson(res, ended.state === 'cancelled' ? 200 : 202, { resource: r.id, build: ended });
    return `build ${ended.id} at ${ended.commit.slice(0, 12)}: ${ended.state}`;
  }
  if (r.what === 'config' && req.method === 'GET') {
    sendJson(res, 200, await showConfig(engine, r.id));
    return undefined;
  }
  const body = await readJson(req);
  if (r.what === 'config') {
    const set = body.set;
    const unset = body.unset;
    const isMap =
      set &&
      typeof set === 'object' &&
      !Array.isArray(set) &&
      Object.values(set).every((v) => typeof v === 'string');
    const isList = Array.isArray(unset) && unset.length > 0 && unset.every((k) => typeof k === 'string');
    if (
      (set === undefined) === (unset === undefined) ||
      (set !== undefined && !isMap) ||
      (unset !== undefined && !isList)
    )
      throw new HttpError(400, 'BAD_REQUEST', 'give {"set": {"KEY": "VALUE"}} or {"unset": ["KEY"]}');
    const who = r.caller.user.metadata.name;
    const result = await editConfig(engine, {
      name: r.id,
      ...(set ? { set: set as Record<string, string> } : { unset: unset as string[] }),
      author: { name: who, email: `${who}@hiy` },
      dryRun: body.dryRun === true,
    });
    sendJson(res, 200, { resource: result.resource, commit: result.commit ?? null, plan: result.plan });
    return result.commit ? `commit ${result.commit}` : 'no commit';
  }
  if (r.what === 'restart') {
    const o = await restartResource(engine, r.id, { actor: r.caller.user.metadata.name });
    sendJson(res, 200, { resource: o.resource, ok: o.result.ok, results: o.result.results });
    return o.result.ok ? 'restarted' : 'restart failed';
  }
  // run and exec: non-interactive; the output comes back with the exit code.
  const command = body.command;
  if (!Array.isArray(command) || !command.every((c) => typeof c === 'string'))
    throw new HttpError(400, 'BAD_REQUEST', 'give the command: {"command": ["rake", "db:migrate"]}');
  const user = body.user;
  if (user !== undefined && (r.what !== 'exec' || typeof user !== 'string'))
    throw new HttpError(400, 'BAD_REQUEST', 'user is a string, and only for exec: {"user": "postgres"}');
  if (r.what === 'exec' && command.length === 0)
    throw new HttpError(400, 'BAD_REQUEST', 'give the command: {"command": ["psql", "-c", "select 1"]}');
  let output = '';
  const keep = (c: string) => {
    if (output.length < RUN_OUTPUT_LIMIT) output += c.slice(0, RUN_OUTPUT_LIMIT - output.length);
  };
  const attach = { output: { stdout: keep, stderr: keep } };
  const exitCode =
    r.what === 'exec'
      ? await execInResource(engine, r.id, command as string[], attach, user ? { user } : {})
      : await runOneOff(engine, { name: r.id, command: command as string[], attach });
  sendJson(res, 200, { resource: r.id, exitCode, output });
  return `exit ${exitCode}: ${user ? `--user ${user} ` : ''}${(command as string[]).join(' ').slice(0, 200)}`;
}

/**
 * `?follow=1`: Server-Sent Events (one `data:` per line, event `stdout`/`stderr`); otherwise one JSON reply.
 * `?previous=1`: the output of the container before the last replacement, as kept when it was removed.
 */
async function logs(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, r: Request): Promise<void> {
  const q = r.url.searchParams;
  const tailText = q.get('tail');
  const tail = tailText === null ? undefined : Number(tailText);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0))
    throw new HttpError(400, 'BAD_REQUEST', 'tail must be a number of lines');
  const since = q.get('since') ?? undefined;
  if (since !== undefined && !/^(\d+(ms|s|m|h))+$/.test(since))
    throw new HttpError(400, 'BAD_REQUEST', 'since must be a duration such as 10m');
  const previous = q.get('previous') === '1';
  if (previous && (since !== undefined || q.get('follow') === '1'))
    throw new HttpError(400, 'BAD_REQUEST', 'previous takes only tail and timestamps');
  const opts = { tail, since, timestamps: q.get('timestamps') === '1', previous };
  if (q.get('follow') !== '1') {
    let stdout = '';
    let stderr = '';
    const sink = {
      stdout(c: string) {
        stdout += c;
      },
      stderr(c: string) {
        stderr += c;
      },
    };
    await resourceLogs(ctx.engine, r.id, opts, sink);
    sendJson(res, 200, { resource: r.id, stdout, stderr });
    return;
  }
  const abort = new AbortController();
  req.on('close', () => abort.abort());
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.write(': connected\n\n');
  const partial: Record<string, string> = { stdout: '', stderr: '' };
  const send = (stream: 'stdout' | 'stderr') => (chunk: string) => {
    const lines = (partial[stream] + chunk).split('\n');
    partial[stream] = lines.pop() ?? '';
    for (const line of lines) res.write(`event: ${stream}\ndata: ${JSON.stringify(line)}\n\n`);
  };
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  heartbeat.unref();
  try {
    await resourceLogs(
      ctx.engine,
      r.id,
      { ...opts, follow: true, signal: abort.signal },
      { stdout: send('stdout'), stderr: send('stderr') },
    );
  } catch (err) {
    res.write(`event: error\ndata: ${JSON.stringify(errorMessage(err))}\n\n`);
  } finally {
    clearInterval(heartbeat);
    res.end();
  }
}
