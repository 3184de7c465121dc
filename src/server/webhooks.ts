// POST /hooks/github and /hooks/gitea (Forgejo too): verify, refuse replays, fetch the pushed commit into the
// App's mirror, then enqueue a reconcile so build and deploy go through the controller's one queue.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import { errorMessage } from '../model/errors.js';
import type { Controller } from '../model/events.js';
import type { AppResource } from '../model/resources.js';
import { fetchMirror, stateApps } from '../push/mirrors.js';
import {
  appsForPush,
  deliveryOf,
  eventOf,
  type Forge,
  pushInfo,
  signatureOf,
  verifySignature,
} from '../push/webhooks.js';
import { HttpError, readBody, sendJson } from './http.js';
import type { ExtraHandler } from './server.js';

export interface WebhookOptions {
  engine: Engine;
  controller: Controller;
  logger?: Logger;
}

/** The handler for /hooks/*, to pass to startApiServer's `handlers`. */
export function webhookHandler(opts: WebhookOptions): ExtraHandler {
  const { engine, controller } = opts;
  const logger = opts.logger ?? engine.logger;
  const { deliveries, audit, secrets } = engine.stores;

  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://hiy').pathname;
    const m = /^\/hooks\/(github|gitea|forgejo)$/.exec(path);
    if (!m) return false;
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'webhooks are POSTed');
    const forge: Forge = m[1] === 'github' ? 'github' : 'gitea';
    const action = `webhook.${m[1]}`;
    const delivery = deliveryOf(req.headers);
    const refuse = async (status: number, code: string, message: string, detail?: string): Promise<never> => {
      await audit.append({
        actor: forge,
        via: 'webhook',
        action,
        result: status === 401 ? 'unauthenticated' : 'failed',
        detail: `${delivery ? `delivery ${delivery}: ` : ''}${detail ?? message}`,
      });
      throw new HttpError(status, code, message);
    };

    const body = await readBody(req, 5 * 1024 * 1024);
    const signature = signatureOf(req.headers);
    if (!signature)
      return refuse(401, 'UNSIGNED', 'the delivery is not signed (set a secret on the webhook)');
    if (!delivery) return refuse(401, 'NO_DELIVERY_ID', 'the delivery has no delivery id header');

    // The signature is checked before the body is trusted: each App with a webhook secret is tried.
    const apps = (await stateApps(engine)).filter((a) => a.spec.source.webhookSecret !== undefined);
    const signedFor: AppResource[] = [];
    for (const app of apps) {
      const secret = await secrets.value(app.spec.source.webhookSecret!);
      if (secret !== undefined && verifySignature(secret, body, signature)) signedFor.push(app);
    }
    if (signedFor.length === 0)
      return refuse(401, 'BAD_SIGNATURE', 'the signature does not match the secret of any App');
    if (!(await deliveries.remember(delivery)))
      return refuse(401, 'REPLAYED', `delivery ${delivery} was already received`, 'replayed');

    const event = eventOf(req.headers);
    if (event === 'ping') {
      sendJson(res, 200, { ok: true, pong: true });
      return true;
    }
    if (event !== undefined && event !== 'push') {
      sendJson(res, 202, { ok: true, ignored: `event ${event}` });
      return true;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(
        400,
        'BAD_JSON',
        'the payload is not JSON (set the webhook content type to application/json)',
      );
    }
    const push = pushInfo(payload);
    const targets = appsForPush(signedFor, push);
    if (targets.length === 0) {
      sendJson(res, 202, { ok: true, ignored: `no App builds ${push.ref ?? 'this ref'} of this repository` });
      return true;
    }
    try {
      for (const app of targets)
        await fetchMirror(engine.settings.dataDir, app.metadata.name, app.spec.source.git!, push.after);
    } catch (err) {
      return refuse(502, 'FETCH_FAILED', errorMessage(err));
    }
    const names = targets.map((a) => `app/${a.metadata.name}`);
    await audit.append({
      actor: forge,
      via: 'webhook',
      action,
      target: names.join(','),
      result: 'ok',
      detail: `delivery ${delivery}: ${push.ref} at ${push.after ?? '?'}`,
    });
    // The forge waits a few seconds at most: answer now, build and deploy in the controller's queue.
    void controller.enqueue({ kind: 'webhook', detail: `${forge}:${delivery}` }).catch((err: unknown) => {
      logger.error({ err: errorMessage(err), delivery }, 'webhook reconcile failed');
    });
    sendJson(res, 202, { ok: true, apps: names, commit: push.after });
    return true;
  };
}
