// How to reach a resource, for its page: its routes as the URLs Caddy serves, and its published host ports with a
// ready-to-copy command (ssh, sftp, psql, a mail server's host:port), from the port declaration where there is one.
import { publishedUrl } from '../../access/signInLink.js';
import type { PortDeclaration } from '../../model/portContract.js';
import type { PublishedPort } from '../../model/resources.js';
import type { Settings } from '../../model/settings.js';
import type { DesiredWorkload } from '../../model/workload.js';
import { type Html, html } from './html.js';

/** One way in: a route's URL or a published port, with what it is and the command that uses it. */
export interface ReachEntry {
  /** `https://blog.example.org/` or `127.0.0.1:2222/tcp`. */
  address: string;
  /** What it is: the declaration's description of the port, or the service its number is known for. */
  what: string;
  /** A command or URL to copy, with no secret in it. */
  command?: string;
  /** A URL that can be opened (routes only). */
  href?: string;
  note?: string;
}

/** What decides the entries: the routes Caddy serves, the workload (ports, env), its declaration, the box. */
export interface ReachInput {
  /** `host/path` as Caddy serves the resource's routes now (the status view's). */
  served: string[];
  workload?: Pick<DesiredWorkload, 'ports' | 'routes' | 'env' | 'secretEnv'>;
  declaration?: PortDeclaration;
  settings: Pick<Settings, 'tls' | 'httpAddr' | 'httpsAddr'>;
  /** The box's name as the viewer reached the dashboard (published ports bound to every address are there). */
  boxHost: string;
}

/** Services known by their port number, for ports no declaration describes. */
const WELL_KNOWN: Record<number, string> = {
  22: 'SSH',
  25: 'SMTP',
  110: 'POP3',
  143: 'IMAP',
  465: 'SMTP submission over TLS',
  587: 'SMTP submission',
  993: 'IMAP over TLS',
  995: 'POP3 over TLS',
  5432: 'PostgreSQL',
};

/** The routes and published ports of a resource as ways to reach it. Pure. */
export function reachEntries(input: ReachInput): ReachEntry[] {
  return [...routeEntries(input), ...(input.workload?.ports ?? []).map((p) => portEntry(p, input))];
}

function routeEntries(input: ReachInput): ReachEntry[] {
  const { settings } = input;
  const served = new Set(input.served);
  const wanted = (input.workload?.routes ?? []).map((r) => `${r.host}${r.path}`);
  const all = [...input.served, ...wanted.filter((r) => !served.has(r))];
  return all.map((route) => {
    const slash = route.indexOf('/');
    const host = slash < 0 ? route : route.slice(0, slash);
    const path = slash < 0 ? '/' : route.slice(slash);
    const url = `${publishedUrl(host, settings.tls, settings.httpAddr, settings.httpsAddr)}${path}`;
    const plain = settings.tls === 'off';
    const notes = [
      served.has(route) ? '' : 'not served yet (the next apply adds it)',
      plain ? '' : `${publishedUrl(host, 'off', settings.httpAddr)}${path} redirects to it`,
    ].filter(Boolean);
    return {
      address: url,
      what: 'web (through Caddy)',
      ...(host.startsWith('*.') ? {} : { href: url }),
      ...(notes.length > 0 && { note: notes.join('; ') }),
    };
  });
}

function portEntry(p: PublishedPort, input: ReachInput): ReachEntry {
  const declared = input.declaration?.ports.find(
    (d) => d.containerPort === p.containerPort && d.protocol === p.protocol,
  );
  const what = declared?.description ?? WELL_KNOWN[p.containerPort] ?? `container port ${p.containerPort}`;
  const host = p.hostIP && p.hostIP !== '0.0.0.0' ? p.hostIP : input.boxHost;
  const env = input.workload?.env ?? {};
  const address = `${host}:${p.hostPort}`;
  const base = { address: `${address}/${p.protocol}`, what };
  if (p.protocol === 'udp') return base;
  if (declared?.http) return { ...base, command: `http://${address}/` };
  const user = env.USERNAME ?? /\buser ([a-z_][a-z0-9_-]*)/i.exec(what)?.[1] ?? 'USER';
  if (/\bSFTP\b/i.test(what)) return { ...base, command: `sftp -P ${p.hostPort} ${user}@${host}` };
  if (/\bSSH\b/i.test(what)) return { ...base, command: `ssh -p ${p.hostPort} ${user}@${host}` };
  if (/postgres/i.test(what)) {
    const password = input.workload?.secretEnv?.POSTGRES_PASSWORD;
    return {
      ...base,
      command: `psql "postgresql://${env.POSTGRES_USER ?? 'postgres'}@${address}/${env.POSTGRES_DB ?? 'postgres'}"`,
      ...(password && { note: `psql asks for the password: the secret ${password} (hiy secret list)` }),
    };
  }
  // Mail (SMTP, submission, IMAP, POP3) and anything else: the server and port a client is given.
  return { ...base, command: address };
}

/** The "How to reach it" section of a resource page. */
export function renderReach(entries: ReachEntry[]): Html {
  if (entries.length === 0)
    return html`<p class="muted">No routes and no published host ports: only resources that link to it reach it.</p>`;
  const rows = entries.map(
    (
      e,
    ) => html`<tr><td>${e.href ? html`<a href="${e.href}">${e.address}</a>` : html`<code>${e.address}</code>`}</td><td>${e.what}</td>
<td>${e.command ? html`<code class="copy">${e.command}</code>` : ''}${e.note ? html`<div class="muted">${e.note}</div>` : ''}</td></tr>`,
  );
  return html`<div class="wrap"><table class="reach"><thead><tr><th scope="col">Address</th><th scope="col">What</th><th scope="col">Use it</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/**
 * The box's host name as the request named it (`Host`, without its port), for published ports: a dashboard
 * reached at hiy.example.org means the ports answer there too. Anything not a plain host name gives `BOX`.
 */
export function boxHostOf(hostHeader: string | undefined): string {
  const h = (hostHeader ?? '').trim();
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d+)?$/i.exec(h);
  return m ? m[1]!.toLowerCase() : 'BOX';
}
