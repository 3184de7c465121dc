// Checks that need several resources (or several fields) at once: name clashes, port and route conflicts. Pure.
import { validateCronExpression } from 'cron';
import type { Diagnostic } from '../model/diagnostics.js';
import { checkBackups } from './backupChecks.js';
import { checkEnforceableLimits } from './enforceableLimits.js';
import { type BoxPorts, checkReservedHostPorts } from './hostPorts.js';
import { diag, diagnosticAt, fieldPosition, idOf, isWorkload, where } from './located.js';
import type { LocatedResource } from './types.js';

export type { BoxPorts };
export { diagnosticAt, fieldPosition };

/** What the cross-resource checks need besides the valid resources. */
export interface CrossCheckOptions {
  /**
   * Resources of invalid documents (ParseResult.incomplete): they take part in the checks that need only their
   * kind and name, or one field that is valid on its own; the checks that need a whole spec skip them.
   */
  incomplete?: LocatedResource[];
  /** The box's own ports; host ports are checked against those given. */
  box?: BoxPorts;
  /** Why this box cannot enforce resource limits (Settings.limitsNotEnforced): each limit is then a warning. */
  limitsNotEnforced?: string;
}

/** Every cross-resource problem, sorted by file and position. Grants to unknown apps are warnings. */
export function checkResources(resources: LocatedResource[], opts: CrossCheckOptions = {}): Diagnostic[] {
  const all = opts.incomplete?.length ? [...resources, ...opts.incomplete] : resources;
  const out = [
    ...checkDuplicateNames(all),
    ...checkHostPorts(all),
    ...(opts.box ? checkReservedHostPorts(all, opts.box) : []),
    ...checkRoutes(all),
    ...checkVolumes(all),
    ...checkExposedPorts(resources),
    ...checkSnapshotSchedules(resources),
    ...checkJobs(resources),
    ...checkGrants(all),
    ...checkSecretEnv(all),
    ...checkBackups(resources),
    ...checkEnforceableLimits(resources, opts.limitsNotEnforced),
  ];
  return out.sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

/** How many of the other resources of a duplicate name a diagnostic names. */
const DUPLICATES_NAMED = 3;

/** App and Port share one namespace (both run as container hiy-NAME); User has its own. */
function checkDuplicateNames(resources: LocatedResource[]): Diagnostic[] {
  const groups = new Map<string, LocatedResource[]>();
  for (const lr of resources) {
    const ns = lr.resource.kind === 'App' || lr.resource.kind === 'Port' ? 'workload' : lr.resource.kind;
    const key = `${ns}/${lr.resource.metadata.name}`;
    groups.set(key, [...(groups.get(key) ?? []), lr]);
  }
  const out: Diagnostic[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    for (const lr of group) {
      // At most DUPLICATES_NAMED others, so that n copies of a name cost n lines of bounded length, not n².
      const rest = group.filter((o) => o !== lr);
      const others = rest.slice(0, DUPLICATES_NAMED).map((o) => `${idOf(o)} at ${where(o, 'metadata.name')}`);
      if (rest.length > DUPLICATES_NAMED) others.push(`${rest.length - DUPLICATES_NAMED} more`);
      const name = lr.resource.metadata.name;
      const detail =
        lr.resource.kind === 'User' || lr.resource.kind === 'Notifier' || lr.resource.kind === 'Backup'
          ? `${lr.resource.kind} names must be unique`
          : `Apps and Ports share one namespace: each runs as the container hiy-${name}`;
      out.push(diag(lr, 'metadata.name', `duplicate name "${name}": also ${others.join(', ')}`, detail));
    }
  }
  return out;
}

/** The ports published so far on one host port and protocol: the first of all, of every address, of each address. */
interface PublishedOn {
  first: SeenPort;
  everyAddress?: SeenPort;
  byAddress: Map<string, SeenPort>;
}
interface SeenPort {
  n: number;
  lr: LocatedResource;
  path: string;
  hostIP?: string;
}

/**
 * Two published ports clash when host port and protocol match and the addresses overlap (unset = all addresses).
 * The first port published before that overlaps is named; found in constant time, whatever the number of ports.
 */
function checkHostPorts(resources: LocatedResource[]): Diagnostic[] {
  const seen = new Map<string, PublishedOn>();
  let n = 0;
  const out: Diagnostic[] = [];
  for (const lr of resources.filter(isWorkload)) {
    (lr.resource.spec.ports ?? []).forEach((p, i) => {
      const path = `spec.ports[${i}].hostPort`;
      const key = `${p.hostPort}/${p.protocol}`;
      const on = seen.get(key);
      let clash: SeenPort | undefined;
      if (on && p.hostIP === undefined) clash = on.first;
      else if (on) {
        const same = on.byAddress.get(p.hostIP!);
        const every = on.everyAddress;
        clash = same && every ? (same.n < every.n ? same : every) : (same ?? every);
      }
      if (clash) {
        const other =
          clash.lr === lr
            ? clash.path.replace(/\.hostPort$/, '')
            : `${idOf(clash.lr)} (${where(clash.lr, clash.path)})`;
        const addr = p.hostIP ?? clash.hostIP;
        out.push(
          diag(
            lr,
            path,
            `host port ${p.hostPort}/${p.protocol} is already published by ${other}`,
            addr ? `both bind ${addr} (an unset hostIP means every address)` : undefined,
          ),
        );
      }
      const entry: SeenPort = { n: n++, lr, path, hostIP: p.hostIP };
      const published: PublishedOn = on ?? { first: entry, byAddress: new Map() };
      if (p.hostIP === undefined) published.everyAddress ??= entry;
      else if (!published.byAddress.has(p.hostIP)) published.byAddress.set(p.hostIP, entry);
      seen.set(key, published);
    });
  }
  return out;
}

/** A host + path prefix may be routed to one place only. */
function checkRoutes(resources: LocatedResource[]): Diagnostic[] {
  const seen = new Map<string, { lr: LocatedResource; path: string }>();
  const out: Diagnostic[] = [];
  for (const lr of resources.filter(isWorkload)) {
    (lr.resource.spec.routes ?? []).forEach((r, i) => {
      const key = `${r.host}\0${r.path}`;
      const path = `spec.routes[${i}].host`;
      const first = seen.get(key);
      if (first) {
        const other =
          first.lr === lr
            ? first.path.replace(/\.host$/, '')
            : `${idOf(first.lr)} (${where(first.lr, first.path)})`;
        out.push(diag(lr, path, `route ${r.host}${r.path} is already claimed by ${other}`));
      } else seen.set(key, { lr, path });
    });
  }
  return out;
}

function checkVolumes(resources: LocatedResource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const lr of resources.filter(isWorkload)) {
    const seen = new Map<string, number>();
    (lr.resource.spec.volumes ?? []).forEach((v, i) => {
      const first = seen.get(v.name);
      if (first === undefined) seen.set(v.name, i);
      else
        out.push(
          diag(
            lr,
            `spec.volumes[${i}].name`,
            `duplicate volume name "${v.name}" (also spec.volumes[${first}])`,
          ),
        );
    });
  }
  return out;
}

/** When `expose` is given, routes and http/tcp health checks must use a port the container listens on. */
function checkExposedPorts(resources: LocatedResource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const lr of resources.filter(isWorkload)) {
    const { expose, ports, routes, healthcheck } = lr.resource.spec;
    if (!expose) continue;
    const listening = new Set([...expose, ...(ports ?? []).map((p) => p.containerPort)]);
    const shown = `(expose: [${expose.join(', ')}])`;
    const check = (port: number, path: string, what: string) => {
      if (!listening.has(port)) {
        out.push(diag(lr, path, `${what} to port ${port}, which the container does not expose ${shown}`));
      }
    };
    (routes ?? []).forEach((r, i) => {
      check(r.port, `spec.routes[${i}].port`, 'route');
    });
    if (healthcheck?.http) check(healthcheck.http.port, 'spec.healthcheck.http.port', 'health check');
    if (healthcheck?.tcp) check(healthcheck.tcp.port, 'spec.healthcheck.tcp.port', 'health check');
  }
  return out;
}

/** `spec.snapshots.schedule` must be a cron expression (5 fields, or 6 with seconds), and there must be volumes. */
function checkSnapshotSchedules(resources: LocatedResource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const lr of resources.filter(isWorkload)) {
    const snapshots = lr.resource.spec.snapshots;
    if (!snapshots?.schedule) continue;
    const fields = snapshots.schedule.trim().split(/\s+/).length;
    const check = fields === 5 || fields === 6 ? validateCronExpression(snapshots.schedule) : undefined;
    if (!check?.valid) {
      out.push(
        diag(
          lr,
          'spec.snapshots.schedule',
          `"${snapshots.schedule}" is not a cron expression${check?.error ? ` (${check.error.message})` : ` (${fields} field(s); give 5, or 6 with seconds first)`}`,
          'e.g. "0 3 * * *" for every day at 03:00',
        ),
      );
    }
    if (!(lr.resource.spec.volumes ?? []).length) {
      out.push(
        diag(
          lr,
          'spec.snapshots',
          'snapshots are scheduled but the resource has no volumes',
          undefined,
          'warning',
        ),
      );
    }
  }
  return out;
}

/** Each job's schedule is a cron expression (5 fields, or 6 with seconds); job names are unique per resource. */
function checkJobs(resources: LocatedResource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const lr of resources.filter(isWorkload)) {
    const seen = new Set<string>();
    (lr.resource.spec.jobs ?? []).forEach((job, i) => {
      if (seen.has(job.name)) out.push(diag(lr, `spec.jobs[${i}].name`, `duplicate job name "${job.name}"`));
      seen.add(job.name);
      const fields = job.schedule.trim().split(/\s+/).length;
      const check = fields === 5 || fields === 6 ? validateCronExpression(job.schedule) : undefined;
      if (!check?.valid) {
        out.push(
          diag(
            lr,
            `spec.jobs[${i}].schedule`,
            `"${job.schedule}" is not a cron expression${check?.error ? ` (${check.error.message})` : ` (${fields} field(s); give 5, or 6 with seconds first)`}`,
            'e.g. "*/15 * * * *" for every 15 minutes',
          ),
        );
      }
    });
  }
  return out;
}

/**
 * A grant to an App that does not exist grants nothing (a Port of that name is not reached through it: Ports only
 * through `*`), and is likely a typo: a warning, so that nobody believes it gives access.
 */
function checkGrants(resources: LocatedResource[]): Diagnostic[] {
  const apps = new Set(
    resources.filter((lr) => lr.resource.kind === 'App').map((lr) => lr.resource.metadata.name),
  );
  const ports = new Set(
    resources.filter((lr) => lr.resource.kind === 'Port').map((lr) => lr.resource.metadata.name),
  );
  const out: Diagnostic[] = [];
  for (const lr of resources) {
    if (lr.resource.kind !== 'User') continue;
    (lr.resource.spec.grants ?? []).forEach((g, i) => {
      if (g.app === '*' || apps.has(g.app)) return;
      const detail = ports.has(g.app)
        ? `port/${g.app} is a Port: this grant gives no access to it (Ports are reached only through app: '*')`
        : 'this grant gives access to nothing until an App of that name exists';
      out.push(
        diag(
          lr,
          `spec.grants[${i}].app`,
          `grant for app "${g.app}", which does not exist`,
          detail,
          'warning',
        ),
      );
    });
  }
  return out;
}

/** A variable comes from env or from secretEnv, never both (which one would win is not obvious). */
function checkSecretEnv(resources: LocatedResource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const lr of resources.filter(isWorkload)) {
    const env = lr.resource.spec.env ?? {};
    for (const name of Object.keys(lr.resource.spec.secretEnv ?? {})) {
      // Own keys only: `constructor in {}` is true.
      if (Object.hasOwn(env, name)) {
        out.push(
          diag(
            lr,
            `spec.secretEnv.${name}`,
            `${name} is set in both env and secretEnv`,
            'remove it from env: a secret is given only through secretEnv',
          ),
        );
      }
    }
  }
  return out;
}
