// HIY's HTTP server (node:http, no framework): /healthz, /metrics, the JSON API under /api/v1/, /hooks/ and the
// dashboard at / (src/server/dashboard).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import { errorMessage, HiyError } from '../model/errors.js';
import type { Controller } from '../model/events.js';
import { DEFAULT_API_ADDR } from '../model/settings.js';
import { handleApi } from './api.js';
import { Authenticator, UserDirectory } from './auth.js';
import { createDashboardContext, handleDashboard } from './dashboard/index.js';
import { forwardedGate } from './forwarded.js';
import { HttpError, sendError, sendJson } from './http.js';
import { Metrics } from './metrics.js';

export { DEFAULT_API_ADDR };

/** Answers requests under a path prefix (webhooks); returns false when it does not handle the request. */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface ApiServerOptions {
  controller: Controller;
  engine: Engine;
  /** `HOST:PORT` (`[::1]:7070` for IPv6); port 0 picks a free one. Default DEFAULT_API_ADDR. */
  addr?: string;
  /** Defaults to the engine's logger. */
  logger?: Logger;
  /** Extra handlers tried before the API (the webhook receiver). */
  handlers?: ExtraHandler[];
}

export interface ApiServer {
  /** `http://HOST:PORT` as bound. */
  url: string;
  port: number;
  metrics: Metrics;
  /** Stops accepting, ends open event streams, resolves when closed. */
  close(): Promise<void>;
}

/** Why a listen failed, for the codes a user can act on; anything else shows node's own message. */
const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is in use (another hiy daemon, or another program, listens there)',
  EACCES: 'permission denied (ports below 1024 need root)',
  EADDRNOTAVAIL: 'this machine has no such address',
};

/** The API server could not listen on its address; the message names it and the settings that change it. */
export class ListenError extends HiyError<{ addr: string; errno?: string }> {
  constructor(data: { addr: string; errno?: string }, options?: { cause?: unknown }) {
    const cause = options?.cause as NodeJS.ErrnoException | undefined;
    const reason = (data.errno && LISTEN_REASONS[data.errno]) ?? cause?.message ?? 'unknown error';
    super(
      'LISTEN_FAILED',
      `the HTTP API cannot listen on ${data.addr}: ${reason}; give it another address with --api-addr ADDR (or HIY_API_ADDR=ADDR, e.g. 127.0.0.1:0 for any free port), or run without it: HIY_API_ADDR=off`,
      { data, ...options },
    );
    this.name = 'ListenError';
  }
}

/** Splits `HOST:PORT` / `[V6]:PORT` / `:PORT` (all addresses). */
export function parseListenAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new Error(`--api-addr must look like 127.0.0.1:7070, not ${addr}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Starts the server; resolves once it listens. */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { engine, controller } = opts;
  const logger = opts.logger ?? engine.logger;
  const addr = opts.addr ?? DEFAULT_API_ADDR;
  const { host, port } = parseListenAddr(addr);
  const stored = await engine.stores.status.read();
  const metrics = new Metrics(stored.lastAppliedAt, () => engine.externalCalls?.totals() ?? {});
  const unsubscribe = controller.subscribe((e) => metrics.observe(e));
  const users = new UserDirectory(engine);
  const ctx = {
    engine,
    controller,
    auth: new Authenticator(engine, users),
    audit: engine.stores.audit,
    logger,
  };
  const dashboard = createDashboardContext({ ...ctx, users });
  const vetForwarded = await forwardedGate(engine.settings.dataDir);

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://hiy').pathname;
    try {
      await vetForwarded(req);
      if (path === '/healthz' && req.method === 'GET') {
        sendJson(res, 200, { ok: true });
        return;
      }
      if (path === '/metrics' && req.method === 'GET') {
        const text = metrics.render();
        res.writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      for (const h of opts.handlers ?? []) if (await h(req, res)) return;
      if (await handleApi(ctx, req, res)) return;
      if (await handleDashboard(dashboard, req, res)) return;
      throw new HttpError(404, 'NOT_FOUND', `no such endpoint: ${req.method} ${path}`);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendError(res, err);
        return;
      }
      // Details go to the log only; the client learns that it failed, not the internals.
      logger.error({ err: errorMessage(err), path }, 'API request failed');
      sendError(res, new HttpError(500, 'INTERNAL', `internal error: ${errorMessage(err)}`));
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    unsubscribe();
    throw new ListenError({ addr, errno: (err as NodeJS.ErrnoException).code }, { cause: err });
  }
  const bound = server.address() as AddressInfo;
  const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  logger.info({ addr: `${shown}:${bound.port}` }, 'API listening');
  return {
    url: `http://${shown}:${bound.port}`,
    port: bound.port,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        server.close(() => resolve());
        // Event streams never end by themselves.
        server.closeAllConnections();
      }),
  };
}
