// The zod schemas of the hiy/v1 resources (App, Port, User) and their inferred types.
import * as z from 'zod';
import { DNS_LABEL, ENV_NAME, HOST_NAME, SECRET_NAME } from './names.js';
import { DURATION_PATTERN, MEMORY_PATTERN } from './quantity.js';

export const API_VERSION = 'hiy/v1';

const dnsLabel = z
  .string()
  .regex(DNS_LABEL, 'must be a DNS label: lower-case letters, digits and "-", at most 63 characters');
const portNumber = z.number().int().min(1).max(65535);
const duration = z.string().regex(DURATION_PATTERN, 'must be a duration such as 500ms, 2s, 1m30s');
const absolutePath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');

export const Metadata = z.strictObject({
  name: dnsLabel.describe('Name of the resource; containers and volumes are named after it.'),
  labels: z.record(z.string(), z.string()).optional().describe('Free-form labels, for people and tools.'),
});

export const EnvMap = z
  .record(z.string().regex(ENV_NAME, 'must be an environment variable name'), z.string())
  .describe('Environment variables given to the container (values are strings).');

export { SECRET_NAME };

export const SecretEnvMap = z
  .record(
    z.string().regex(ENV_NAME, 'must be an environment variable name'),
    z.string().regex(SECRET_NAME, 'must name a secret set with hiy secret set NAME (letters, digits, . _ -)'),
  )
  .describe(
    "Environment variables whose values come from HIY's secret store (hiy secret set NAME): VAR → secret name. " +
      'Values never appear in the state repo, plans, logs, labels or podman inspect.',
  );

export const VolumeMount = z.strictObject({
  name: dnsLabel.describe('Volume name, unique within the resource; the Podman volume is hiy-NAME-VOLUME.'),
  mountPath: absolutePath.describe('Where the volume is mounted in the container.'),
  readOnly: z.boolean().optional(),
});

export const PublishedPort = z.strictObject({
  containerPort: portNumber,
  hostPort: portNumber,
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  hostIP: z.ipv4().optional().describe('Host address to bind; all addresses when omitted.'),
});

export const Route = z.strictObject({
  host: z.string().regex(HOST_NAME, 'must be a host name such as blog.example.com'),
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'must be a path prefix starting with /')
    .default('/'),
  port: portNumber.describe('Container port that Caddy proxies to.'),
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
};

export const PortSpec = z.strictObject({
  image: z.string().min(1).describe('A prebuilt image, e.g. localhost/example/web:1.'),
  ...workloadFields,
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
});

export const AppSpec = z.strictObject({
  source: AppSource,
  build: AppBuild.default({ context: '.' }),
  ...workloadFields,
});

export const Grant = z.strictObject({
  app: z.union([dnsLabel, z.literal('*')]),
  role: z.enum(['view', 'deploy', 'admin']),
});

export const UserSpec = z.strictObject({
  sshKeys: z
    .array(z.string().regex(/^(ssh-|ecdsa-|sk-)\S+ \S+/, 'must be an OpenSSH public key'))
    .default([]),
  grants: z.array(Grant).default([]),
});

/** What a Notifier can be told about. */
export const NOTIFY_EVENTS = [
  'deploy.succeeded',
  'deploy.failed',
  'rollback',
  'drift.corrected',
  'snapshot.failed',
] as const;

export const NotifierSpec = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .describe('Where to POST: a JSON webhook, or an ntfy topic URL (https://ntfy.sh/TOPIC).'),
  format: z
    .enum(['json', 'ntfy'])
    .default('json')
    .describe('json: a JSON body; ntfy: a text body with Title, Priority and Tags headers.'),
  events: z.array(z.enum(NOTIFY_EVENTS)).min(1).optional().describe('Events to send; all when omitted.'),
  resources: z
    .array(z.string().regex(/^(app|port)\/[a-z0-9-]+$/, 'must be a resource id such as app/blog'))
    .optional()
    .describe('Only events about these resources (and box-wide ones); all when omitted.'),
});

function resourceSchema<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(kind),
    metadata: Metadata,
    spec,
  });
}

export const PortResource = resourceSchema('Port', PortSpec);
export const AppResource = resourceSchema('App', AppSpec);
export const UserResource = resourceSchema('User', UserSpec);
export const NotifierResource = resourceSchema('Notifier', NotifierSpec);

/** The schema of each kind, used to validate documents and to generate crds/. */
export const KIND_SCHEMAS = {
  Port: PortResource,
  App: AppResource,
  User: UserResource,
  Notifier: NotifierResource,
} as const;

export type PortResource = z.infer<typeof PortResource>;
export type AppResource = z.infer<typeof AppResource>;
export type UserResource = z.infer<typeof UserResource>;
export type NotifierResource = z.infer<typeof NotifierResource>;
/** Any resource of the state repo, after validation and defaults. */
export type Resource = PortResource | AppResource | UserResource | NotifierResource;
export type Workload = PortResource | AppResource;
export type Route = z.infer<typeof Route>;
export type HealthCheck = z.infer<typeof HealthCheck>;
export type PublishedPort = z.infer<typeof PublishedPort>;
export type VolumeMount = z.infer<typeof VolumeMount>;
