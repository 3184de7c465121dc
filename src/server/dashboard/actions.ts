// The dashboard's operational actions: roll back, restart, unpin, snapshot, restore, apply, revoke. Each checks the CSRF token
// and the grant (grants.ts, as the API and SSH do), calls the same function the CLI and API call (same lock),
// writes one audit line with the user and client address, and redirects back with the outcome in words.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowed } from '../../access/grants.js';
import { createSnapshots, DataCommandError, restoreFromSnapshot } from '../../data/commands.js';
import { RollbackError, rollback, unpin } from '../../data/rollback.js';
import { OperationError } from '../../engine/resourceTarget.js';
import { restartResource } from '../../engine/restart.js';
import { StateRepoInvalidError } from '../../model/diagnostics.js';
import { errorMessage } from '../../model/errors.js';
import { HttpError } from '../http.js';
import type { DashboardContext, Viewer } from './context.js';
import { readForm, redirect } from './respond.js';
import { checkCsrf } from './session.js';

export interface ActionSpec {
  /** Audit action name, e.g. `rollback`. */
  action: string;
  target?: string;
  /** Whether the viewer's grants allow it. */
  allowed: (viewer: Viewer) => boolean;
  /** Where to go afterwards. */
  back: string;
  /** Does it; resolves to the message shown and audited. */
  run: (form: URLSearchParams, viewer: Viewer) => Promise<{ message: string; ok?: boolean }>;
}

/** Errors a user can act on (busy lock, refused rollback, invalid state repo); anything else is a 500. */
function expected(err: unknown): boolean {
  return (
    err instanceof RollbackError ||
    err instanceof DataCommandError ||
    err instanceof StateRepoInvalidError ||
    err instanceof OperationError ||
    (err as { code?: string }).code === 'LOCKED' ||
    (err as { code?: string }).code === 'SNAPSHOT_FAILED' ||
    (err as { code?: string }).code === 'NO_BUILD' ||
    (err as { code?: string }).code === 'BUILD_DEPLOYING'
  );
}

export async function runAction(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
  spec: ActionSpec,
): Promise<void> {
  const actor = viewer.user.metadata.name;
  const line = (result: 'ok' | 'failed' | 'denied', detail: string) =>
    ctx.audit.append({
      actor,
      via: 'dashboard',
      action: spec.action,
      ...(spec.target ? { target: spec.target } : {}),
      result,
      detail: `${detail}; from ${viewer.address}`,
    });
  const form = await readForm(req);
  try {
    checkCsrf(req, viewer, form.get('csrf') ?? undefined);
  } catch (err) {
    await line('denied', errorMessage(err));
    throw err;
  }
  if (!spec.allowed(viewer)) {
    const what = spec.target ? ` on ${spec.target}` : '';
    await line('denied', 'no grant');
    throw new HttpError(403, 'FORBIDDEN', `${actor} may not do ${spec.action}${what}`);
  }
  try {
    const { message, ok = true } = await spec.run(form, viewer);
    await line(ok ? 'ok' : 'failed', message);
    redirect(res, ok ? spec.back : `${spec.back}${spec.back.includes('?') ? '&' : '?'}err=1`, message);
  } catch (err) {
    await line('failed', errorMessage(err));
    if (!expected(err)) throw err;
    redirect(res, `${spec.back}${spec.back.includes('?') ? '&' : '?'}err=1`, errorMessage(err));
  }
}

/** POST /r/KIND/NAME/ACTION for a resource. */
export function resourceAction(ctx: DashboardContext, id: string, verb: string): ActionSpec | undefined {
  const back = `/r/${id}`;
  switch (verb) {
    case 'rollback':
      return {
        action: 'rollback',
        target: id,
        back,
        allowed: (v) => isAllowed(v.user, 'rollback', id),
        run: async (form) => {
          const to = Number(form.get('to'));
          if (!Number.isInteger(to) || to < 1) throw new HttpError(400, 'BAD_REQUEST', 'which release? (to)');
          const withData = form.get('withData') === 'yes';
          requireConfirmation(form, 'roll back');
          const o = await rollback(ctx.engine, { name: id, to, withData });
          return {
            ok: o.result.ok,
            message: o.result.ok
              ? `Rolled ${id} back from release ${o.from} to ${o.to}${withData ? ' with its data' : ''}.`
              : `Rollback of ${id} to release ${o.to} failed: ${o.result.results.find((r) => r.error)?.error ?? 'see events'}`,
          };
        },
      };
    case 'restart':
      return {
        action: 'restart',
        target: id,
        back,
        allowed: (v) => isAllowed(v.user, 'restart', id),
        run: async (form, viewer) => {
          requireConfirmation(form, 'restart');
          const o = await restartResource(ctx.engine, id, { actor: viewer.user.metadata.name });
          return {
            ok: o.result.ok,
            message: o.result.ok
              ? `Restarted ${o.resource}: a new container of the same spec serves.`
              : `Restart of ${o.resource} failed; the previous container runs again: ${o.result.results.find((r) => r.error)?.error ?? 'see events'}`,
          };
        },
      };
    case 'unpin':
      return {
        action: 'unpin',
        target: id,
        back,
        allowed: (v) => isAllowed(v.user, 'unpin', id),
        run: async (_form, viewer) => {
          // The operation of `hiy unpin`; then a reconcile, so the state repo's version is applied now.
          const removed = await unpin(ctx.engine, id);
          if (!removed) return { ok: false, message: `${id} is not pinned.` };
          const o = await ctx.controller.enqueue({
            kind: 'api',
            detail: `unpin ${id} by ${viewer.user.metadata.name}`,
          });
          return {
            ok: o.ok,
            message: o.ok
              ? `Unpinned ${id} from release ${removed.release}; the state repo's version is applied (${o.actions} action(s)).`
              : `Unpinned ${id} from release ${removed.release}, but the apply that followed failed: ${o.error ?? 'see events'}`,
          };
        },
      };
    case 'snapshot':
      return {
        action: 'snapshot.create',
        target: id,
        back,
        allowed: (v) => isAllowed(v.user, 'snapshot', id),
        run: async () => {
          const taken = await createSnapshots(ctx.engine, id);
          return { message: `Snapshot taken: ${taken.map((m) => `${m.volume} ${m.id}`).join(', ')}.` };
        },
      };
    case 'restore':
      return {
        action: 'snapshot.restore',
        target: id,
        back,
        // Restoring replaces the data: the same grant as rolling back with data.
        allowed: (v) => isAllowed(v.user, 'rollback', id),
        run: async (form) => {
          const snapshot = form.get('snapshot') ?? '';
          if (form.get('confirm') !== 'yes')
            throw new HttpError(400, 'CONFIRM', 'tick the confirmation box to restore a snapshot');
          // Only a snapshot of this resource (the one the grant was checked on), found by its exact id, is
          // restored; any other is refused before anything changes, without telling whether it exists.
          const o = await restoreFromSnapshot(ctx.engine, snapshot, undefined, undefined, id);
          return {
            message: `Restored ${o.volume} from ${o.snapshot.id} (${o.files} ${o.files === 1 ? 'file' : 'files'})${o.preRestore ? `; what it held before is snapshot ${o.preRestore.id}` : ''}.`,
          };
        },
      };
    default:
      return undefined;
  }
}

/** The heavy actions are done only from their confirmation page (confirm.ts), which posts confirm=yes. */
function requireConfirmation(form: URLSearchParams, what: string): void {
  if (form.get('confirm') !== 'yes')
    throw new HttpError(400, 'CONFIRM', `confirm first: ${what} is done from its confirmation page`);
}

/** POST /plan/apply: a reconcile of the head through the controller (admin on "*"). */
export function applyAction(ctx: DashboardContext, viewer: Viewer): ActionSpec {
  return {
    action: 'reconcile',
    target: '*',
    back: '/plan',
    allowed: (v) => isAllowed(v.user, 'administer', '*'),
    run: async () => {
      const o = await ctx.controller.enqueue({ kind: 'api', detail: viewer.user.metadata.name });
      return {
        ok: o.ok,
        message: o.ok
          ? `Applied ${o.commit?.slice(0, 12) ?? 'the head'}: ${o.actions} action(s).`
          : `Apply failed: ${o.error ?? 'see events'}`,
      };
    },
  };
}

/** POST /me/sessions/revoke, /people/sessions/revoke, /people/tokens/revoke, /me/passkeys/remove. */
export function accountAction(ctx: DashboardContext, path: string, viewer: Viewer): ActionSpec | undefined {
  const me = viewer.user.metadata.name;
  const admin = (v: Viewer) => isAllowed(v.user, 'administer', '*');
  switch (path) {
    case '/me/sessions/revoke':
      return {
        action: 'session.revoke',
        back: '/me',
        allowed: () => true,
        run: async (form) => ({ message: await revokeSession(ctx, form.get('id') ?? '', me) }),
      };
    case '/people/sessions/revoke':
      return {
        action: 'session.revoke',
        back: '/people',
        allowed: admin,
        run: async (form) => ({ message: await revokeSession(ctx, form.get('id') ?? '', undefined) }),
      };
    case '/me/passkeys/remove':
      return {
        action: 'passkey.remove',
        back: '/me',
        allowed: () => true,
        run: async (form) => {
          const ok = await ctx.passkeys.remove(form.get('id') ?? '', me);
          return { ok, message: ok ? 'Passkey removed.' : 'No such passkey.' };
        },
      };
    case '/people/tokens/revoke':
      return {
        action: 'token.revoke',
        back: '/people',
        allowed: admin,
        run: async (form) => {
          const id = form.get('id') ?? '';
          const ok = await ctx.engine.stores.tokens.revoke(id);
          return { ok, message: ok ? `Token ${id} revoked.` : `No token ${id}.` };
        },
      };
    default:
      return undefined;
  }
}

async function revokeSession(ctx: DashboardContext, id: string, owner: string | undefined): Promise<string> {
  const ok = await ctx.sessions.revoke(id, owner);
  return ok ? `Session ${id} revoked.` : `No session ${id}.`;
}
