// Host ports a resource may not publish: HIY's own (its Caddy's, its upstream range) and, rootless, those under the floor. Pure.
import type { Diagnostic } from '../model/diagnostics.js';
import type { Settings } from '../model/settings.js';
import { diag, isWorkload } from './located.js';
import type { LocatedResource } from './types.js';

/** The settings that say which host ports HIY uses; a check runs for each one given. */
export type BoxPorts = Partial<
  Pick<Settings, 'httpAddr' | 'httpsAddr' | 'tls' | 'upstreamPorts' | 'portFloor'>
>;

/** One address HIY's Caddy listens on. */
interface Listener {
  variable: string;
  address: string;
  /** undefined: every address. */
  host?: string;
  from: number;
  to: number;
  protocols: string[];
}

/**
 * A Caddy listen address (`:80`, `127.0.0.1:8080`, `[::1]:443`, `tcp/:80`, `:8000-8001`) → host and ports;
 * undefined when it does not read as one.
 */
export function parseListenAddress(address: string): { host?: string; from: number; to: number } | undefined {
  const m = /^(?:[a-z0-9]+\/)?(\[[^\]]*\]|[^:]*):(\d+)(?:-(\d+))?$/i.exec(address.trim());
  if (!m) return undefined;
  let host = m[1]!.replace(/^\[|\]$/g, '');
  if (host === 'localhost') host = '127.0.0.1';
  const from = Number(m[2]);
  const to = m[3] === undefined ? from : Number(m[3]);
  const all = host === '' || host === '0.0.0.0' || host === '::';
  return all ? { from, to } : { host, from, to };
}

/** HIY's Caddy listeners: HTTP only with HIY_TLS=off; otherwise HTTPS (tcp, and udp for HTTP/3) and HTTP. */
function listeners(box: BoxPorts): Listener[] {
  const out: Listener[] = [];
  const add = (variable: string, address: string | undefined, protocols: string[]) => {
    const parsed = address === undefined ? undefined : parseListenAddress(address);
    if (parsed && address !== undefined) out.push({ variable, address, ...parsed, protocols });
  };
  if (box.tls !== 'off') add('HIY_HTTPS_ADDR', box.httpsAddr, ['tcp', 'udp']);
  add('HIY_HTTP_ADDR', box.httpAddr, ['tcp']);
  return out;
}

/**
 * A published host port inside HIY_UPSTREAM_PORTS (the range HIY takes the upstreams of Caddy from), or on an
 * address and protocol where HIY's own Caddy listens, would fail at apply ("address already in use"); refused
 * when validating instead, at the hostPort.
 */
export function checkReservedHostPorts(resources: LocatedResource[], box: BoxPorts): Diagnostic[] {
  const out: Diagnostic[] = [];
  const caddy = listeners(box);
  const range = box.upstreamPorts;
  for (const lr of resources.filter(isWorkload)) {
    (lr.resource.spec.ports ?? []).forEach((p, i) => {
      const path = `spec.ports[${i}].hostPort`;
      if (box.portFloor !== undefined && p.hostPort < box.portFloor) {
        // Rootless Podman would fail at apply ("permission denied" from rootlessport); refused here instead.
        out.push(
          diag(
            lr,
            path,
            `host port ${p.hostPort} is below net.ipv4.ip_unprivileged_port_start (${box.portFloor}): HIY runs unprivileged and cannot publish it`,
            `publish a port from ${box.portFloor} up, or lower the sysctl (box-wide: every user may then bind it; docs/rootless.md)`,
          ),
        );
      }
      if (range && p.hostPort >= range.from && p.hostPort <= range.to) {
        out.push(
          diag(
            lr,
            path,
            `host port ${p.hostPort} is in HIY_UPSTREAM_PORTS (${range.from}-${range.to}), the ports HIY gives to the containers Caddy proxies to`,
            'publish a port outside that range, or give HIY another range with HIY_UPSTREAM_PORTS',
          ),
        );
      }
      const protocol = p.protocol ?? 'tcp';
      const clash = caddy.find(
        (l) =>
          p.hostPort >= l.from &&
          p.hostPort <= l.to &&
          l.protocols.includes(protocol) &&
          (l.host === undefined || p.hostIP === undefined || l.host === p.hostIP),
      );
      if (clash) {
        out.push(
          diag(
            lr,
            path,
            `host port ${p.hostPort}/${protocol} is where HIY's Caddy listens (${clash.variable}=${clash.address})`,
            'serve HTTP through spec.routes, or publish another port',
          ),
        );
      }
    });
  }
  return out;
}
