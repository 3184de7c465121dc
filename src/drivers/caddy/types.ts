// The Caddy driver interface: one read of the whole config, one load of a whole config.
import { HiyError } from '../../model/errors.js';

/** Every failure talking to Caddy's admin API. */
export class CaddyError extends HiyError<{ url: string; status?: number; body?: string }> {
  constructor(
    message: string,
    data: { url: string; status?: number; body?: string },
    options?: { cause?: unknown },
  ) {
    super('CADDY_FAILED', message, { data, ...options });
    this.name = 'CaddyError';
  }
}

/** Caddy's admin API as HIY uses it. */
export interface CaddyDriver {
  /** GET /config/ — the whole running config (null when Caddy runs with none). */
  getConfig(): Promise<CaddyConfig | null>;
  /** POST /load — replaces the whole config atomically; Caddy keeps the old one if the new one fails. */
  load(config: CaddyConfig): Promise<void>;
}

/** Caddy's JSON config; HIY only looks into apps.http.servers[its server] and its own tagged TLS policies. */
export type CaddyConfig = Record<string, unknown>;
