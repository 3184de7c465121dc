// The zod schemas of what App and Port specs hold (env, volumes, routes, health checks, jobs, builds) and their limits.
import * as z from 'zod';
import { DNS_LABEL, ENV_NAME, HOST_NAME, HOST_NAME_MAX, hostNameProblem, SECRET_NAME } from './names.js';
import { DURATION_PATTERN, MEMORY_PATTERN, parseDuration } from './quantity.js';

/** A DNS label: what names resources, volumes and jobs. */
export const dnsLabel = z
  .string()
  .regex(DNS_LABEL, 'must be a DNS label: lower-case letters, digits and "-", at most 63 characters');
const portNumber = z.number().int().min(1).max(65535);
const duration = z.string().regex(DURATION_PATTERN, 'must be a duration such as 500ms, 2s, 1m30s');

/** Adds the problem a rule finds (a message that reads well after a field path) as a zod issue. */
function rule(problem: (value: string) => string | undefined) {
  return (value: string, ctx: z.core.$RefinementCtx<string>) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  };
}

/**
 * Limits of `env` (see docs/design.md, "Limits of a state repo"): `podman run` gets each variable as one
 * argument `--env NAME=value`, and Linux refuses a single argument over 128 KiB (MAX_ARG_STRLEN) and all of
 * them over about 2 MiB (ARG_MAX): an apply would fail with E2BIG. HIY's limits stay well below both.
 */
export const ENV_VALUE_MAX_BYTES = 32 * 1024;
export const ENV_TOTAL_MAX_BYTES = 512 * 1024;

/** Length in UTF-8 bytes, as the kernel counts an argument (without encoding the string). */
const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const kib = (n: number) => `${n / 1024} KiB`;

/** Where a volume may not be mounted: the kernel's file systems in the container. */
const RESERVED_MOUNT_ROOTS = ['/proc', '/sys', '/dev'];

/**
 * Why a volume's mount path is refused, or undefined: it must be absolute and clean (no `.`/`..` segment, no
 * `//`, no trailing `/`), without `:` (`podman run -v SOURCE:TARGET:OPTIONS` would read what follows as options:
 * `/data:ro` would mount read-only), and neither `/` nor under /proc, /sys or /dev.
 */
export function mountPathProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return 'must be an absolute path';
  if (p.includes('\0')) return 'must not contain a NUL byte';
  if (p.includes(':'))
    return 'must not contain ":" (Podman would read what follows as mount options, e.g. :ro)';
  if (p === '/') return "must not be / (the container's root)";
  if (p.includes('//')) return 'must not contain "//"';
  if (p.endsWith('/')) return 'must not end with "/"';
  if (p.split('/').some((s) => s === '.' || s === '..')) return 'must not contain "." or ".." segments';
  const root = RESERVED_MOUNT_ROOTS.find((r) => p === r || p.startsWith(`${r}/`));
  if (root) return `must not be ${root} or under it (the kernel's file system in the container)`;
  return undefined;
}

const envName = z.string().regex(ENV_NAME, 'must be an environment variable name');

export const EnvMap = z
  .record(
    envName,
    z
      .string()
      .refine((v) => !v.includes('\0'), 'must not contain a NUL byte (Podman cannot pass it)')
      .refine(
        (v) => utf8Bytes(v) <= ENV_VALUE_MAX_BYTES,
        `must have at most ${kib(ENV_VALUE_MAX_BYTES)} (podman run passes each variable as one argument)`,
      ),
  )
  .superRefine((env, ctx) => {
    let total = 0;
    for (const [k, v] of Object.entries(env)) total += utf8Bytes(k) + utf8Bytes(v) + 2;
    if (total > ENV_TOTAL_MAX_BYTES)
      ctx.addIssue({
        code: 'custom',
        message: `the variables take ${total} bytes; at most ${ENV_TOTAL_MAX_BYTES} bytes (${kib(ENV_TOTAL_MAX_BYTES)}) in all (podman run gets them as arguments)`,
      });
  })
  .describe(
    `Environment variables given to the container (values are strings; no NUL byte; at most ${kib(ENV_VALUE_MAX_BYTES)} each and ${kib(ENV_TOTAL_MAX_BYTES)} in all).`,
  );

export { SECRET_NAME };

export const SecretEnvMap = z
  .record(
    envName,
    z.string().regex(SECRET_NAME, 'must name a secret set with hiy secret set NAME (letters, digits, . _ -)'),
  )
  .describe(
    "Environment variables whose values come from HIY's secret store (hiy secret set NAME): VAR → secret name. " +
      'Values never appear in the state repo, plans, logs, labels or podman inspect.',
  );

export const VolumeMount = z.strictObject({
  name: dnsLabel.describe('Volume name, unique within the resource; the Podman volume is hiy-NAME-VOLUME.'),
  mountPath: z.string().superRefine(rule(mountPathProblem)).meta({
    // For editors; mountPathProblem is the whole rule.
    pattern: '^(?:/[^/:\\u0000]+)+$',
    description:
      'Where the volume is mounted in the container: an absolute, clean path without ":", not /, not under /proc, /sys or /dev.',
  }),
  readOnly: z.boolean().optional(),
});

export const PublishedPort = z.strictObject({
  containerPort: portNumber,
  hostPort: portNumber,
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  hostIP: z.ipv4().optional().describe('Host address to bind; all addresses when omitted.'),
});

export const Route = z.strictObject({
  host: z.string().superRefine(rule(hostNameProblem)).meta({
    // For editors; hostNameProblem is the whole rule.
    pattern: HOST_NAME.source,
    maxLength: HOST_NAME_MAX,
    description:
      'A DNS name (at most 253 characters, labels of at most 63), optionally *.; not an IP address.',
  }),
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'must be a path prefix starting with /')
    .default('/'),
  port: portNumber.describe('Container port that Caddy proxies to.'),
  tls: z
    .strictObject({
      certificate: z
        .string()
        .regex(SECRET_NAME, 'must name a secret set with hiy secret set NAME (letters, digits, . _ -)')
        .describe(
          "A secret (hiy secret set NAME < bundle.pem) holding this host's certificate chain and its private key, PEM; served instead of one from HIY_TLS's issuer.",
        ),
    })
    .optional()
    .describe('A certificate you bring for this host (docs/tls.md).'),
});

export const HealthCheck = z
  .strictObject({
    http: z
      .strictObject({ path: z.string().regex(/^\//, 'must start with /').default('/'), port: portNumber })
      .optional(),
    tcp: z.strictObject({ port: portNumber }).optional(),
    command: z.array(z.string()).min(1).optional(),
    interval: duration.default('2s').describe('Time between two probes.'),
    timeout: duration.default('30s').describe('How long a started container may take to become healthy.'),
  })
  .superRefine((hc, ctx) => {
    const probes = [hc.http, hc.tcp, hc.command].filter((p) => p !== undefined).length;
    if (probes !== 1) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one probe: http, tcp or command' });
    }
  });

export const Resources = z.strictObject({
  memory: z.string().regex(MEMORY_PATTERN, 'must be a size such as 256Mi or 1Gi').optional(),
  cpus: z.number().positive().max(1024).optional(),
});

export const SnapshotPolicy = z.strictObject({
  keep: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(5)
    .describe('Snapshots kept per volume; older ones are removed after a successful upgrade only.'),
  schedule: z
    .string()
    .min(1)
    .optional()
    .describe('Cron schedule of automatic snapshots taken by hiy daemon (seconds field allowed).'),
});

export const Job = z.strictObject({
  name: dnsLabel.describe('Name of the job, unique within the resource (hiy job run NAME JOB).'),
  schedule: z
    .string()
    .min(1)
    .describe('Cron schedule, local time: 5 fields, or 6 with seconds first (e.g. "*/15 * * * *").'),
  command: z.array(z.string()).min(1).describe('The command, run in a one-off container like hiy run.'),
  timeout: duration
    .default('1h')
    .describe('A run still going after this long is stopped and counts as failed.'),
});

/** Fields shared by every workload (App and Port). */
const workloadFields = {
  command: z.array(z.string()).optional().describe('Replaces the image entrypoint.'),
  args: z.array(z.string()).optional().describe('Replaces the image command (arguments to the entrypoint).'),
  env: EnvMap.optional(),
  secretEnv: SecretEnvMap.optional(),
  volumes: z.array(VolumeMount).optional(),
  ports: z.array(PublishedPort).optional().describe('Ports published on the host, for non-HTTP services.'),
  expose: z
    .array(portNumber)
    .optional()
    .describe('Container ports the service listens on; when given, routes and health checks must use them.'),
  routes: z.array(Route).optional().describe('HTTP routes served by Caddy.'),
  links: z
    .array(z.string().regex(/^port\/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a Port such as port/db'))
    .optional()
    .describe(
      "Ports this workload uses: each one's `provides` values become its environment (secrets stay secrets), and it reaches them by name on the instance network.",
    ),
  healthcheck: HealthCheck.optional(),
  restart: z.enum(['always', 'unless-stopped', 'on-failure', 'no']).default('unless-stopped'),
  resources: Resources.optional(),
  stopGracePeriod: duration.default('10s').describe('Time between SIGTERM and SIGKILL when stopping.'),
  snapshots: SnapshotPolicy.optional().describe('Snapshot retention and schedule of the volumes.'),
  jobs: z
    .array(Job)
    .optional()
    .describe(
      'Scheduled jobs run by hiy daemon as one-off containers (image, env, secrets and volumes of the resource).',
    ),
};

/** A Port's `tls`: the host whose certificate (the one HIY's Caddy holds for HTTPS) the container is given. */
export const PortTls = z
  .strictObject({
    certificateFor: z
      .string()
      .superRefine(rule(hostNameProblem))
      .meta({
        // For editors: a host name as routes take it, without the wildcard.
        pattern: HOST_NAME.source.replace('^(?:\\*\\.)?', '^'),
        maxLength: HOST_NAME_MAX,
        description:
          'A host name (not a wildcard) whose certificate Caddy holds: mounted read-only and named by TLS_CERT_FILE and TLS_KEY_FILE (docs/tls.md).',
      }),
  })
  .superRefine((t, ctx) => {
    if (t.certificateFor.startsWith('*.'))
      ctx.addIssue({
        code: 'custom',
        path: ['certificateFor'],
        message: 'must be one host, not a wildcard (Caddy keeps one certificate per host name)',
      });
  })
  .describe("The certificate of a host, from HIY's Caddy, for a port's own TLS (STARTTLS of mail).");

export const PortSpec = z.strictObject({
  image: z.string().min(1).describe('A prebuilt image, e.g. localhost/example/web:1.'),
  ...workloadFields,
  tls: PortTls.optional(),
});

export const AppSource = z
  .strictObject({
    git: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A git repository on the box (absolute, or relative to the state repo), or a URL (https://, ssh://, file://) that HIY mirrors under DATA_DIR/mirrors.',
      ),
    repo: dnsLabel
      .refine(
        (r) => r !== 'state',
        'state is the name of the state repo (ssh://hiy@host/state); choose another',
      )
      .optional()
      .describe('A repository hosted by HIY (ssh://hiy@host/NAME).'),
    branch: z.string().min(1).default('main'),
    webhookSecret: z
      .string()
      .regex(SECRET_NAME, 'must name a secret set with hiy secret set NAME')
      .optional()
      .describe(
        "For a git URL source: the secret (in HIY's secret store) that signs its push webhooks (POST /hooks/github or /hooks/gitea).",
      ),
  })
  .superRefine((s, ctx) => {
    if ((s.git === undefined) === (s.repo === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of git or repo' });
    }
  });

export const AppBuild = z.strictObject({
  dockerfile: z.string().min(1).optional().describe('Path of the Dockerfile/Containerfile in the context.'),
  context: z.string().default('.').describe('Build context directory inside the repository.'),
  timeout: duration
    .refine((t) => !DURATION_PATTERN.test(t) || parseDuration(t) >= 1000, 'must be at least 1s')
    .optional()
    .describe(
      'Longest the build may take (e.g. 45m); a longer build is stopped and fails. Default: HIY_BUILD_TIMEOUT (30m).',
    ),
});

export const AppSpec = z.strictObject({
  source: AppSource,
  build: AppBuild.default({ context: '.' }),
  ...workloadFields,
});

export type Route = z.infer<typeof Route>;
export type HealthCheck = z.infer<typeof HealthCheck>;
export type PublishedPort = z.infer<typeof PublishedPort>;
export type VolumeMount = z.infer<typeof VolumeMount>;
