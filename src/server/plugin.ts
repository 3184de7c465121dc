// The HTTP API as a plug-in of `hiy daemon`: started once the daemon's controller exists, stopped before it.
import type { Logger } from 'pino';
import type { Controller } from '../reconcile/controller.js';
import type { Engine } from '../reconcile/engine.js';
import { type ApiServer, type ExtraHandler, startApiServer } from './server.js';

/** What the daemon hands its plug-ins (structurally the daemon's DaemonContext). */
export interface ApiPluginContext {
  controller: Controller;
  engine: Engine;
  logger: Logger;
  announce(name: string, url: string): Promise<void>;
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
