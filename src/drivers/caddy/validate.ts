// Checks of a Caddy config before it is loaded: HIY's own part (validateOwned) and what Caddy would refuse in the
// whole merged config (validateConfig). Caddy's admin API has no dry run, so these run before any change. Pure.
import { isObject, objectAt, strings } from './json.js';
import type { CaddyConfig, OwnedCaddyConfig } from './types.js';

/** Sanity checks before a load: dials are host:port (port 1–65535), hosts non-empty, no duplicate host+path. */
export function validateOwned(owned: OwnedCaddyConfig): string[] {
  const errors: string[] = [];
  for (const [name, srv] of Object.entries(owned.servers)) {
    if (!isObject(srv)) {
      errors.push(`server ${name}: not an object`);
      continue;
    }
    if (!strings(srv['listen'])?.length) errors.push(`server ${name}: no listen address`);
    const seen = new Set<string>();
    const routes = Array.isArray(srv['routes']) ? srv['routes'] : [];
    for (const [i, r] of routes.entries()) {
      const where = `server ${name}, route ${isObject(r) && typeof r['@id'] === 'string' ? r['@id'] : `#${i}`}`;
      if (!isObject(r)) {
        errors.push(`${where}: not an object`);
        continue;
      }
      const matches = Array.isArray(r['match']) ? r['match'] : [];
      for (const m of matches) {
        const hosts = isObject(m) ? strings(m['host']) : undefined;
        if (!hosts?.length || hosts.some((h) => h.trim() === '')) errors.push(`${where}: empty host`);
        const key = JSON.stringify([hosts ?? [], isObject(m) ? (m['path'] ?? []) : []]);
        if (seen.has(key)) errors.push(`${where}: duplicate host and path ${key}`);
        seen.add(key);
      }
      for (const h of Array.isArray(r['handle']) ? r['handle'] : []) {
        if (!isObject(h) || h['handler'] !== 'reverse_proxy') continue;
        const ups = Array.isArray(h['upstreams']) ? h['upstreams'] : [];
        if (ups.length === 0) errors.push(`${where}: reverse_proxy without upstreams`);
        for (const u of ups) {
          const dial = isObject(u) ? u['dial'] : undefined;
          if (typeof dial !== 'string' || !isDialAddress(dial))
            errors.push(`${where}: dial ${JSON.stringify(dial)} is not host:port`);
        }
      }
    }
  }
  return errors;
}

/**
 * What Caddy refuses in a whole config that HIY can tell before loading it — Caddy's admin API has no dry run,
 * and a refused load must not come after containers were stopped. Checked on the merged config, so a clash
 * with the user's own servers or TLS policies is found too: a listener port out of range, one listener address
 * claimed by two servers, two TLS automation policies for one host. (Caddy 2.6 refuses each of these at
 * `POST /load`; a port held by another process it finds only when binding, which no check can foresee.)
 */
export function validateConfig(full: CaddyConfig | null): string[] {
  const errors: string[] = [];
  const claimed: (Listener & { server: string })[] = [];
  const servers = objectAt(full ?? {}, ['apps', 'http', 'servers']) ?? {};
  for (const [name, srv] of Object.entries(servers)) {
    const listen = isObject(srv) && Array.isArray(srv['listen']) ? srv['listen'] : [];
    for (const addr of listen) {
      const l = typeof addr === 'string' ? parseListener(addr) : 'invalid';
      if (l === 'invalid') {
        errors.push(`server ${name}: invalid listener address ${JSON.stringify(addr)} (port out of range)`);
        continue;
      }
      if (!l) continue;
      const other = claimed.find(
        (c) => c.network === l.network && c.host === l.host && c.from <= l.to && l.from <= c.to,
      );
      if (other) {
        const port = Math.max(other.from, l.from);
        errors.push(
          `server ${name}: listener address ${l.network}/${l.host}:${port} is already claimed by server '${other.server}'`,
        );
      } else claimed.push({ ...l, server: name });
    }
  }
  const policies = objectAt(full ?? {}, ['apps', 'tls', 'automation'])?.['policies'];
  const hosts = new Map<string, number>();
  for (const [i, p] of (Array.isArray(policies) ? policies : []).entries()) {
    const subjects = isObject(p) ? (strings(p['subjects']) ?? []) : [];
    const id = isObject(p) && typeof p['@id'] === 'string' ? ` (${p['@id']})` : '';
    for (const host of new Set(subjects)) {
      const first = hosts.get(host);
      if (first !== undefined)
        errors.push(`TLS automation policy ${i}${id}: host ${host} already has policy ${first}`);
      else hosts.set(host, i);
    }
  }
  return errors;
}

/** A listener address as Caddy compares them: network, host and a port range. */
interface Listener {
  network: string;
  host: string;
  from: number;
  to: number;
}

/**
 * `[network/]host:port[-port]` read as Caddy's ParseNetworkAddress reads it; `invalid` when a port is out of
 * range, undefined for what claims no TCP/UDP port here (unix sockets, named ports).
 */
function parseListener(addr: string): Listener | 'invalid' | undefined {
  if (/^unix(gram|packet)?\//.test(addr)) return undefined;
  const m = /^(?:([a-z0-9]+)\/)?(.*):(\d+)(?:-(\d+))?$/.exec(addr);
  if (!m) return undefined;
  const from = Number(m[3]);
  const to = m[4] === undefined ? from : Number(m[4]);
  if (from > 65535 || to > 65535 || from > to) return 'invalid';
  return { network: m[1] ?? 'tcp', host: m[2] ?? '', from, to };
}

/** A `host:port` (or `[ipv6]:port`) dial address with a port from 1 to 65535. */
export function isDialAddress(dial: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(dial);
  if (!m) return false;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535;
}
