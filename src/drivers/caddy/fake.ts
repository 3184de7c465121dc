// An in-memory Caddy admin API held to the same contract tests as the real client.
import { type CaddyConfig, type CaddyDriver, CaddyError } from './types.js';

/** Options of the fake. */
export interface FakeCaddyOptions {
  /** The URL named in error messages; `fake://caddy` by default. */
  adminUrl?: string;
  /** The config it starts with; null (Caddy started without a config) by default. */
  initial?: CaddyConfig | null;
}

/** Caddy in memory: stores deep copies, refuses what Caddy would refuse, and can be made unreachable. */
export class FakeCaddy implements CaddyDriver {
  /** Requests made so far, counted like the real client's. */
  calls = 0;
  /** When true, every call throws the CaddyError a refused connection gives. */
  unreachable = false;
  readonly adminUrl: string;
  private config: CaddyConfig | null;

  constructor(opts: FakeCaddyOptions = {}) {
    this.adminUrl = opts.adminUrl ?? 'fake://caddy';
    this.config = opts.initial ? copy(opts.initial) : null;
  }

  async getConfig(): Promise<CaddyConfig | null> {
    this.enter();
    return this.config === null ? null : copy(this.config);
  }

  async load(config: CaddyConfig): Promise<void> {
    this.enter();
    const problem = refusal(config);
    if (problem) {
      throw new CaddyError(
        `Caddy's admin API at ${this.adminUrl} refused POST /load (HTTP 400): ${problem}`,
        {
          url: this.adminUrl,
          status: 400,
          body: JSON.stringify({ error: problem }),
        },
      );
    }
    this.config = copy(config);
  }

  /** A fixed placeholder PEM: the fake has no CA. */
  async localCaRoot(): Promise<string> {
    this.enter();
    return FAKE_ROOT;
  }

  private enter(): void {
    this.calls++;
    if (this.unreachable) {
      throw new CaddyError(`cannot reach Caddy's admin API at ${this.adminUrl}: connection refused`, {
        url: this.adminUrl,
      });
    }
  }
}

const FAKE_ROOT = '-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n';

/**
 * What real Caddy refuses that HIY could plausibly send: a non-object, or a server listen address whose port is not
 * a number from 0 to 65535. (Caddy 2.6 accepts any reverse_proxy dial at load time and fails per request instead.)
 */
function refusal(config: unknown): string | undefined {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return 'config must be a JSON object';
  }
  const servers = (config as { apps?: { http?: { servers?: unknown } } }).apps?.http?.servers;
  if (servers === undefined) return undefined;
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) {
    return 'loading new config: loading http app module: decoding module config: http: servers must be an object';
  }
  for (const [name, srv] of Object.entries(servers)) {
    const listen = (srv as { listen?: unknown } | null)?.listen;
    for (const addr of Array.isArray(listen) ? listen : []) {
      if (typeof addr !== 'string' || !isListenAddress(addr)) {
        return `loading new config: loading http app module: http: invalid configuration: server ${name}: invalid listener address '${String(addr)}'`;
      }
    }
  }
  return undefined;
}

/** `[network/]host:port[-port]`, as Caddy's ParseNetworkAddress reads it; unix sockets pass. */
function isListenAddress(addr: string): boolean {
  if (/^unix(gram|packet)?\//.test(addr)) return true;
  const m = /^(?:[a-z0-9]+\/)?(.*):(\d+)(?:-(\d+))?$/.exec(addr);
  if (!m) return false;
  const from = Number(m[2]);
  const to = m[3] === undefined ? from : Number(m[3]);
  return from <= 65535 && to <= 65535 && from <= to;
}

/** A JSON round trip, as the real API does: undefined fields vanish, nothing is shared with the caller. */
function copy(config: CaddyConfig): CaddyConfig {
  return JSON.parse(JSON.stringify(config)) as CaddyConfig;
}
