// Naming rules shared by every resource, and the names HIY gives to what it creates.

/** A DNS label (RFC 1123): lower-case letters, digits and '-', 1 to 63 characters, alphanumeric at both ends. */
export const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** A host name for a route: DNS labels joined by dots, optionally starting with a `*.` wildcard. */
export const HOST_NAME =
  /^(?:\*\.)?(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** Longest DNS name (RFC 1035), without the final dot. */
export const HOST_NAME_MAX = 253;

/**
 * Why a route host is refused, or undefined: a DNS name of at most 253 characters whose labels have at most 63,
 * optionally starting with `*.`; not an IP address (a last label of digits only is never a DNS name: RFC 3696).
 */
export function hostNameProblem(host: string): string | undefined {
  if (host.length > HOST_NAME_MAX)
    return `must have at most ${HOST_NAME_MAX} characters (a DNS name), got ${host.length}`;
  const long = host.split('.').find((label) => label.length > 63);
  if (long) return `each label must have at most 63 characters; "${long.slice(0, 20)}…" has ${long.length}`;
  if (!HOST_NAME.test(host)) return 'must be a host name such as blog.example.com';
  if (/^\d+$/.test(host.slice(host.lastIndexOf('.') + 1)))
    return 'must be a host name, not an IP address: Caddy routes and certificates go by name';
  return undefined;
}

/** An environment variable name as POSIX shells accept it. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A user to exec as in a container (`podman exec --user`): a user name, or a uid with an optional gid. */
export const EXEC_USER = /^(?:[a-z_][a-z0-9_-]{0,31}|\d{1,10}(?::\d{1,10})?)$/;

/** A name in HIY's secret store (`hiy secret set NAME`), never the value itself. */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The kinds of resource a state repo may hold. */
export type Kind = 'App' | 'Port' | 'User' | 'Notifier' | 'Backup';

/** A resource id as used in plans, labels and status: `port/greeter`, `app/blog`, `user/alice`. */
export type ResourceId = `${Lowercase<Kind>}/${string}`;

export function resourceId(kind: Kind, name: string): ResourceId {
  return `${kind.toLowerCase() as Lowercase<Kind>}/${name}`;
}

/** Splits a resource id back into kind and name, or returns undefined for a string that is not one. */
export function parseResourceId(id: string): { kind: Kind; name: string } | undefined {
  const m = /^(app|port|user|notifier|backup)\/(.+)$/.exec(id);
  if (!m) return undefined;
  const kind = ({ app: 'App', port: 'Port', user: 'User', notifier: 'Notifier', backup: 'Backup' } as const)[
    m[1] as 'app' | 'port' | 'user' | 'notifier' | 'backup'
  ];
  return { kind, name: m[2]! };
}

/**
 * Names of the Podman objects of one HIY instance. The default instance gives `hiy-greeter` and
 * `hiy-greeter-data`; another instance (tests, a second HIY on the box) inserts its name: `hiy-t1-greeter`.
 */
export interface ObjectNames {
  container(name: string): string;
  volume(name: string, volume: string): string;
  image(appName: string, commit: string): string;
  caddyServer: string;
}

/** The instance's Podman network (docs/ports.md): `hiy` for the default instance, `hiy-INSTANCE` otherwise. */
export function instanceNetwork(instance: string): string {
  return instance === 'default' ? 'hiy' : `hiy-${instance}`;
}

export function objectNames(instance: string): ObjectNames {
  const prefix = instance === 'default' ? 'hiy' : `hiy-${instance}`;
  return {
    container: (name) => `${prefix}-${name}`,
    volume: (name, volume) => `${prefix}-${name}-${volume}`,
    image: (appName, commit) => `localhost/${prefix}/${appName}:${commit.slice(0, 12)}`,
    caddyServer: prefix,
  };
}
