// The HTTP API as a plug-in of `hiy daemon`: started once the daemon's controller exists, stopped before it.
import type { Logger } from 'pino';
import type { FetchLike } from '../drivers/http/fetch.js';
import type { Engine } from '../engine/engine.js';
import type { Controller } from '../model/events.js';
import { startNotifier } from '../notify/notify.js';
import { type ApiServer, DEFAULT_API_ADDR, type ExtraHandler, startApiServer } from './server.js';
import { webhookHandler } from './webhooks.js';

/** What the daemon hands its plug-ins (structurally the daemon's DaemonContext). */
export interface ApiPluginContext {
  controller: Controller;
  engine: Engine;
  logger: Logger;
  announce(name: string, url: string): Promise<void>;
}

/**
 * The plug-ins `hiy daemon` should start: the API with the webhook receiver on `--api-addr` / `HIY_API_ADDR`
 * (default loopback, `off` disables it), and the notifications of the state repo's Notifiers, sent with `fetch`.
 */
export function apiAndNotifyPlugins(addr: string | undefined, fetch: FetchLike) {
  return [
    apiPlugin(addr ?? DEFAULT_API_ADDR, (ctx) => [webhookHandler(ctx)]),
    {
      name: 'notify',
      async start(ctx: ApiPluginContext): Promise<{ stop(): Promise<void> }> {
        const n = startNotifier({ ...ctx, fetchImpl: fetch });
        return {
          stop: async () => {
            n.stop();
            await n.idle();
          },
        };
      },
    },
  ];
}

/** A daemon plug-in serving the API on `addr` (`off` disables it). */
export function apiPlugin(addr: string, handlers: (ctx: ApiPluginContext) => ExtraHandler[] = () => []) {
  return {
    name: 'api',
    async start(ctx: ApiPluginContext): Promise<{ stop(): Promise<void> } | undefined> {
      if (addr === 'off') return undefined;
      const server: ApiServer = await startApiServer({
        controller: ctx.controller,
        engine: ctx.engine,
        logger: ctx.logger,
        addr,
        handlers: handlers(ctx),
      });
      await ctx.announce('api', server.url);
      return { stop: () => server.close() };
    },
  };
}
