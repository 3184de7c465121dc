// An in-memory Caddy admin API held to the same contract tests as the real client.
import { rebaseOwned } from './render.js';
import { type CaddyConfig, type CaddyDriver, CaddyError } from './types.js';

/** Options of the fake. */
export interface FakeCaddyOptions {
  /** The URL named in error messages; `fake://caddy` by default. */
  adminUrl?: string;
  /** The config it starts with; null (Caddy started without a config) by default. */
  initial?: CaddyConfig | null;
  /** HIY's server name: loads then write only its part, as the real client's do (`CaddyDriver.load`). */
  owner?: string;
}

/** Caddy in memory: stores deep copies, refuses what Caddy would refuse, and can be made unreachable. */
export class FakeCaddy implements CaddyDriver {
  /** Requests made so far, counted like the real client's. */
  calls = 0;
  /** When true, every call throws the CaddyError a refused connection gives. */
  unreachable = false;
  readonly adminUrl: string;
  /** The running config, shared by every driver `sharedWith` made: one Caddy, several clients. */
  private running: { config: CaddyConfig | null };
  private readonly owner: string | undefined;

  constructor(opts: FakeCaddyOptions = {}) {
    this.adminUrl = opts.adminUrl ?? 'fake://caddy';
    this.running = { config: opts.initial ? copy(opts.initial) : null };
    this.owner = opts.owner;
  }

  /** Another client of this same in-memory Caddy, built for `owner` (another HIY instance). */
  sharedWith(owner: string): FakeCaddy {
    const other = new FakeCaddy({ adminUrl: this.adminUrl, owner });
    other.running = this.running;
    return other;
  }

  async getConfig(): Promise<CaddyConfig | null> {
    this.enter();
    return this.running.config === null ? null : copy(this.running.config);
  }

  async load(intended: CaddyConfig): Promise<CaddyConfig> {
    this.enter();
    // In memory the read and the write are one step: no other writer can come between them.
    const config =
      this.owner === undefined ? intended : rebaseOwned(this.running.config, intended, this.owner);
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
    this.running.config = copy(config);
    return copy(config);
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
