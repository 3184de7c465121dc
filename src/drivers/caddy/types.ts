// The Caddy driver interface: one read of the whole config, one load of a whole config (or of one owner's part).
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

/**
 * Caddy refused a config because one of its servers cannot listen (the address is in use, a privileged port, an
 * address this machine lacks): `addr` as configured, and the setting that changes it when HIY configured it.
 */
export class CaddyListenError extends CaddyError {
  override readonly code = 'CADDY_LISTEN_FAILED';
  constructor(
    message: string,
    override readonly data: { url: string; status: number; body: string; addr: string; setting?: string },
  ) {
    super(message, data);
    this.name = 'CaddyListenError';
  }
}

/** Caddy's admin API as HIY uses it. */
export interface CaddyDriver {
  /** GET /config/ — the whole running config (null when Caddy runs with none). */
  getConfig(): Promise<CaddyConfig | null>;
  /**
   * Loads `config` atomically; Caddy keeps the old one if the new one fails. A driver built for an `owner` (HIY's
   * server name) loads only the owner's part of `config` (`rebaseOwned`), merged into the config Caddy runs at that
   * moment and written only if that config is still the one merged into (compare-and-swap, retried): several HIY
   * instances and the user share one Caddy, and one's load never removes another's servers or routes, however old
   * the copy of theirs in `config`. Without an owner, the whole config is replaced. Resolves to the config Caddy
   * runs afterwards, as getConfig would read it back.
   */
  load(config: CaddyConfig): Promise<CaddyConfig>;
  /** GET /pki/ca/local — the root certificate (PEM) of Caddy's internal CA; Caddy creates the CA on first use. */
  localCaRoot(): Promise<string>;
}

/** Caddy's JSON config; HIY only looks into apps.http.servers[its server] and its own tagged TLS policies. */
export type CaddyConfig = Record<string, unknown>;

/** HIY's own part of Caddy's config, rendered from a ProxyState. */
export interface OwnedCaddyConfig {
  /** Servers to put under apps.http.servers, by name. */
  servers: Record<string, unknown>;
  /** TLS automation policies to put first in apps.tls.automation.policies. */
  tlsPolicies: unknown[];
  /**
   * True when TLS is on: Caddy's internal CA (`apps.pki…local`) gets `install_trust: false`, so loading never runs
   * the system's trust tools (27 s on a fresh box, past the admin client's timeout); clients trust `hiy ca`.
   */
  noTrustInstall?: boolean;
  /**
   * `server`'s entries of `apps.tls.certificates.load_pem` (certificates routes bring), without their PEM: the
   * Caddy client fills it in on load (`certificatePem.ts`). Empty removes the server's entries.
   */
  certificates?: { server: string; entries: unknown[] };
  /**
   * `server`'s access log entry under `logging.logs` (`accessLogConfig.ts`), with its logger in the default log's
   * `exclude`; null removes both. Absent: the logging config is left as it is.
   */
  accessLog?: { server: string; log: Record<string, unknown> | null };
}
