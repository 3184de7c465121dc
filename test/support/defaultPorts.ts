// Holds HIY's default listen addresses (API, Caddy admin, HTTP, HTTPS) for a whole test or benchmark run, so
// that a test binding one fails at once and one connecting to one is reported; a running `make demo` holds them anyway.
import { createServer, type Server, type Socket } from 'node:net';

/** A default address of HIY or Caddy that no test may use: tests take free loopback ports (test/support). */
export interface DefaultAddress {
  /** As the user would write it, e.g. `127.0.0.1:7070` or `:80`. */
  addr: string;
  /** The setting whose default it is. */
  setting: string;
  /** Omitted: every address (IPv4 and IPv6), as Caddy's `:80` binds. */
  host?: string;
  port: number;
}

export const DEFAULT_ADDRESSES: readonly DefaultAddress[] = [
  { addr: '127.0.0.1:7070', setting: 'HIY_API_ADDR', host: '127.0.0.1', port: 7070 },
  { addr: '127.0.0.1:2019', setting: 'HIY_CADDY_ADMIN', host: '127.0.0.1', port: 2019 },
  { addr: ':80', setting: 'HIY_HTTP_ADDR', port: 80 },
  { addr: ':443', setting: 'HIY_HTTPS_ADDR', port: 443 },
];

export interface HeldPorts {
  /** The addresses this process holds (the others were in use already, e.g. by the demo). */
  held: DefaultAddress[];
  /** The addresses something connected to while held, one entry per connection. */
  contacts: string[];
  /** One line per held address that was contacted; empty when none was. */
  report(): string;
  release(): Promise<void>;
}

/**
 * Listens on every default address that is free. A connection gets a 503 naming the address (a test that talked
 * to a default address fails with a clear reason instead of a hang) and is recorded in `contacts`.
 */
export async function holdDefaultPorts(addresses = DEFAULT_ADDRESSES): Promise<HeldPorts> {
  const servers: Server[] = [];
  const held: DefaultAddress[] = [];
  const contacts: string[] = [];
  const sockets = new Set<Socket>();
  for (const a of addresses) {
    const body = `${a.addr} is held for the test run: tests and benchmarks use free loopback ports, not ${a.setting}'s default\n`;
    const server = createServer((socket) => {
      contacts.push(a.addr);
      sockets.add(socket);
      socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ port: a.port, ...(a.host ? { host: a.host } : {}), exclusive: true }, () =>
        resolve(true),
      );
    });
    if (!ok) continue;
    server.unref();
    servers.push(server);
    held.push(a);
  }
  return {
    held,
    contacts,
    report() {
      const counts = new Map<string, number>();
      for (const c of contacts) counts.set(c, (counts.get(c) ?? 0) + 1);
      return [...counts]
        .map(
          ([addr, n]) =>
            `${n} connection(s) to ${addr}, a default address held for this run: a test or benchmark used it instead of a free loopback port`,
        )
        .join('\n');
    },
    async release() {
      // A server closes once its connections have; ref() so that its close callback runs even when nothing
      // else keeps the loop alive.
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.ref().close(() => r()))));
    },
  };
}
