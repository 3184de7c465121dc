// The real Caddy driver over Caddy's admin API: GET /config/ to read; a load is POST /load, or for an owner a compare-and-swap.
import { errorMessage } from '../../model/errors.js';
import type { ExternalCalls } from '../externalCalls.js';
import { type FetchLike, type HttpResponse, nodeFetch } from '../http/fetch.js';
import { type CertificateSecretSource, withCertificatePem, withoutCertificatePem } from './certificatePem.js';
import { withoutProxySecret, withProxySecret } from './proxySecret.js';
import { rebaseOwned } from './render.js';
import { type CaddyConfig, type CaddyDriver, CaddyError, CaddyListenError } from './types.js';

/** Where the client gets the box's proxy secret (`src/store/proxySecret.ts`, given by the composition root). */
export interface ProxySecretSource {
  /** The secret, or undefined while none was made. */
  read(): Promise<string | undefined>;
  /** The secret, made when missing. */
  ensure(): Promise<string>;
}

/** Options of the admin API client. */
export interface CaddyAdminClientOptions {
  /** Base URL of Caddy's admin API, e.g. `http://127.0.0.1:2019`. */
  adminUrl: string;
  /** Per-request timeout; 10 s by default. */
  timeoutMs?: number;
  /** Injected for tests; nodeFetch (node:http) by default. */
  fetch?: FetchLike;
  /**
   * The listen addresses HIY puts into Caddy's config, each with the setting that changes it (`:80` →
   * `HIY_HTTP_ADDR`): a load Caddy refuses because one cannot be bound names that setting.
   */
  listenSettings?: Record<string, string>;
  /**
   * The box's proxy secret: added to the dashboard route on every load (`ensure` makes it on first use) and taken
   * out of every config read back (`read` makes nothing, so planning writes nothing; see `proxySecret.ts`).
   * Without it the route carries no secret.
   */
  proxySecret?: ProxySecretSource;
  /**
   * Certificates routes bring: the load_pem entries of HIY's server `server` get their chain and key from `source`
   * (the secret store) on every load, and lose them in every config read back (`certificatePem.ts`), so a key
   * never reaches a plan, the observed state or a log. Without it such entries are sent as rendered.
   */
  certificates?: { server: string; source: CertificateSecretSource };
  /** Counts every request (the daemon's `hiy_external_calls_total{target="caddy"}`). */
  externalCalls?: ExternalCalls;
  /**
   * HIY's server name in a Caddy it may share with other instances and the user: a load then writes only that
   * server's part, re-based onto the config Caddy runs and guarded by its ETag (see `CaddyDriver.load`).
   */
  owner?: string;
}

/** Caddy's answer to one request; `etag` is Caddy's hash of the config read (sent as a trailer by Caddy 2.6). */
interface Answer {
  text: string;
  etag: string | undefined;
}

/** A config as Caddy sent it (secrets and keys of every owner in it) and the ETag naming exactly that config. */
interface RawRead {
  raw: CaddyConfig | null;
  etag: string;
}

/** Talks to Caddy's admin API; every failure is a CaddyError naming the admin URL. */
export class CaddyAdminClient implements CaddyDriver {
  /** getConfig/load calls made so far (benchmarks count external calls); a retried request counts once. */
  calls = 0;
  /** Requests repeated after Caddy dropped the connection (see `request`). */
  retries = 0;
  readonly adminUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: FetchLike;
  private readonly listenSettings: Record<string, string>;
  private readonly proxySecret: ProxySecretSource | undefined;
  private readonly certificates: CaddyAdminClientOptions['certificates'];
  private readonly externalCalls: ExternalCalls | undefined;
  private readonly owner: string | undefined;
  /** The last config read with its ETag, until a load: an owner's load re-bases onto it without reading again. */
  private lastRead: RawRead | undefined;

  constructor(opts: CaddyAdminClientOptions) {
    this.adminUrl = opts.adminUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchFn = opts.fetch ?? nodeFetch;
    this.listenSettings = opts.listenSettings ?? {};
    this.proxySecret = opts.proxySecret;
    this.certificates = opts.certificates;
    this.externalCalls = opts.externalCalls;
    this.owner = opts.owner;
  }

  async getConfig(): Promise<CaddyConfig | null> {
    const { raw } = await this.readRaw();
    return raw === null ? null : this.readable(raw);
  }

  async load(config: CaddyConfig): Promise<CaddyConfig> {
    let sent = this.proxySecret ? withProxySecret(config, await this.proxySecret.ensure()) : config;
    if (this.certificates) {
      try {
        sent = await withCertificatePem(sent, this.certificates.server, this.certificates.source);
      } catch (err) {
        throw new CaddyError(errorMessage(err), { url: this.adminUrl }, { cause: err });
      }
    }
    if (this.owner !== undefined) return this.readable(await this.swapOwned(sent, this.owner));
    this.lastRead = undefined;
    await this.request('POST', '/load', JSON.stringify(sent));
    return this.readable(sent);
  }

  /**
   * Writes `owner`'s part of `sent` into the config Caddy runs: re-based onto the last config read (read again when
   * there is none) and posted with `If-Match` its ETag, so Caddy refuses it (412) when anyone wrote in between; then
   * read, re-based and posted again. Returns the config written.
   */
  private async swapOwned(sent: CaddyConfig, owner: string): Promise<CaddyConfig> {
    for (let attempt = 1; attempt <= SWAP_ATTEMPTS; attempt++) {
      const base = this.lastRead ?? (await this.readRaw());
      this.lastRead = undefined;
      const next = rebaseOwned(base.raw, sent, owner);
      try {
        await this.request(
          'POST',
          '/config/',
          JSON.stringify(next),
          base.etag ? { 'If-Match': base.etag } : {},
        );
        return next;
      } catch (err) {
        if (!(err instanceof CaddyError && err.data.status === 412)) throw err;
      }
    }
    throw new CaddyError(
      `Caddy's config at ${this.adminUrl} changed ${SWAP_ATTEMPTS} times while HIY loaded its part (another program writes it at the same time); nothing of HIY's was loaded, apply again`,
      { url: this.adminUrl, status: 412 },
    );
  }

  /** GET /config/ as Caddy sent it, remembered with its ETag for the next owner's load. */
  private async readRaw(): Promise<RawRead> {
    const { text: body, etag } = await this.request('GET', '/config/');
    // Caddy 2.6 answers `null` when it runs with no config.
    let parsed: unknown;
    try {
      parsed = body.trim() === '' ? null : JSON.parse(body);
    } catch (err) {
      throw new CaddyError(
        `Caddy's admin API at ${this.adminUrl} returned a config that is not JSON`,
        { url: this.adminUrl, body: body.slice(0, 2000) },
        { cause: err },
      );
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new CaddyError(`Caddy's admin API at ${this.adminUrl} returned a config that is not an object`, {
        url: this.adminUrl,
        body: body.slice(0, 2000),
      });
    }
    const read: RawRead = { raw: parsed as CaddyConfig | null, etag: etag ?? '' };
    // Without an ETag (a Caddy before 2.6) nothing is remembered: every owner's load reads first.
    this.lastRead = etag ? read : undefined;
    return read;
  }

  /** A config as HIY reads it: without the proxy secret and without the PEM of its certificates. */
  private async readable(raw: CaddyConfig): Promise<CaddyConfig> {
    const secret = await this.proxySecret?.read();
    const config = secret === undefined ? raw : withoutProxySecret(raw, secret);
    return this.certificates ? withoutCertificatePem(config, this.certificates.server) : config;
  }

  async localCaRoot(): Promise<string> {
    const { text: body } = await this.request('GET', '/pki/ca/local');
    let root: unknown;
    try {
      root = (JSON.parse(body) as { root_certificate?: unknown }).root_certificate;
    } catch {
      root = undefined;
    }
    if (typeof root !== 'string' || !root.includes('BEGIN CERTIFICATE')) {
      throw new CaddyError(
        `Caddy's admin API at ${this.adminUrl} returned no root certificate for its local CA`,
        {
          url: this.adminUrl,
          body: body.slice(0, 2000),
        },
      );
    }
    return root;
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    body?: string,
    extraHeaders: Record<string, string> = {},
  ): Promise<Answer> {
    const what = `${method} ${path}`;
    let res: HttpResponse | undefined;
    // Right after a load Caddy may swap its admin server and drop a connection it had just accepted; both calls are
    // safe to repeat (a load of the config Caddy already runs changes nothing), so a dropped connection is retried once.
    this.calls++;
    this.externalCalls?.count('caddy');
    for (let attempt = 1; !res; attempt++) {
      try {
        res = await this.fetchFn(`${this.adminUrl}${path}`, {
          method,
          // One connection per call: a kept-alive one would not survive the admin server being replaced.
          headers:
            body === undefined
              ? { Connection: 'close', ...extraHeaders }
              : { Connection: 'close', 'Content-Type': 'application/json', ...extraHeaders },
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        const reason = networkReason(err, this.timeoutMs);
        if (attempt === 1 && DROPPED.has(reason)) {
          this.retries++;
          await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
          continue;
        }
        throw new CaddyError(
          CONNECT_FAILURES.has(reason)
            ? `cannot reach Caddy's admin API at ${this.adminUrl}: ${reason}`
            : `Caddy's admin API at ${this.adminUrl} failed to answer ${what}: ${reason}`,
          { url: this.adminUrl },
          { cause: err },
        );
      }
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new CaddyError(
        `Caddy's admin API at ${this.adminUrl} broke off its answer to ${what}: ${networkReason(err, this.timeoutMs)}`,
        { url: this.adminUrl, status: res.status },
        { cause: err },
      );
    }
    if (!res.ok) {
      const listen = bindFailure(caddyErrorText(text));
      if (listen) {
        const setting = this.listenSettings[listen.addr];
        const change = setting
          ? `set ${setting} to another address`
          : 'change the listen address that uses it';
        throw new CaddyListenError(
          `Caddy cannot listen on ${listen.addr}${setting ? ` (${setting})` : ''}: ${listen.reason}; ${change} (Caddy keeps running its previous config)`,
          {
            url: this.adminUrl,
            status: res.status,
            body: text.slice(0, 4000),
            addr: listen.addr,
            ...(setting ? { setting } : {}),
          },
        );
      }
      throw new CaddyError(
        `Caddy's admin API at ${this.adminUrl} refused ${what} (HTTP ${res.status}): ${caddyErrorText(text)}`,
        { url: this.adminUrl, status: res.status, body: text.slice(0, 4000) },
      );
    }
    return { text, etag: res.headers['etag'] };
  }
}

/** Caddy answers errors as `{"error": "..."}`; anything else is shown as is. */
function caddyErrorText(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'error' in parsed && typeof parsed.error === 'string') {
      return parsed.error;
    }
  } catch {
    // not JSON: fall through
  }
  return body.trim().slice(0, 500) || '(empty answer)';
}

/** Why Caddy could not bind, from its error's `bind: …` suffix (Go's syscall messages). */
const BIND_REASONS: Record<string, string> = {
  'address already in use': 'the address is in use by another program',
  'permission denied': 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE for Caddy)',
  'cannot assign requested address': 'this machine has no such address',
};

/**
 * The address a server could not bind, as configured: Caddy answers such a load with `… listening on ADDR: listen
 * tcp HOST:PORT: bind: address already in use`.
 */
export function bindFailure(message: string): { addr: string; reason: string } | undefined {
  const m = /listening on (\S+?): listen \S+ \S+: bind: ([a-z ]+)/.exec(message);
  if (!m) return undefined;
  const addr = m[1]!.replace(/^tcp\//, '');
  return { addr, reason: BIND_REASONS[m[2]!.trim()] ?? `bind: ${m[2]!.trim()}` };
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed',
};

/** Reasons that mean Caddy dropped the connection before answering. */
const DROPPED = new Set(['connection closed', 'connection reset']);
const RETRY_DELAY_MS = 50;
/** Writes an owner's load tries before giving up while another writer keeps changing Caddy's config. */
const SWAP_ATTEMPTS = 5;

/** Reasons that mean the request never reached Caddy (so nothing was changed). */
const CONNECT_FAILURES = new Set([
  'connection refused',
  'host not found',
  'host name lookup failed',
  'host unreachable',
  'network unreachable',
]);

/** Turns undici's `TypeError: fetch failed` (the real reason is in `cause`) into a short reason. */
function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return REASONS[code] ?? code;
    const nested = (cur as { errors?: unknown[] }).errors?.[0]; // AggregateError (IPv4 + IPv6 attempts)
    cur = (cur as { cause?: unknown }).cause ?? nested;
  }
  return errorMessage(err);
}
