// The port contract v1: what a port image declares about itself (configuration, data version, hooks, links).
import * as z from 'zod';
import { DNS_LABEL, ENV_NAME, EXEC_USER } from './names.js';
import { DURATION_PATTERN, parseDuration } from './quantity.js';

/** The OCI label that holds a port image's declaration, as JSON. One `podman image inspect` reads it. */
export const PORT_LABEL = 'io.hiy.port.v1';

/** How long one run of a hook may take when the declaration gives no `hooks.timeout`. */
export const HOOK_TIMEOUT_MS = 10 * 60_000;

/** The time limit of the hooks of a declaration: its `hooks.timeout`, else HOOK_TIMEOUT_MS. */
export function hookTimeoutMs(hooks: { timeout?: string }): number {
  return hooks.timeout ? parseDuration(hooks.timeout) : HOOK_TIMEOUT_MS;
}

/** The contract's version: a declaration says `contract: v1`. */
export const PORT_CONTRACT_VERSION = 'v1';

const portNumber = z.number().int().min(1).max(65535);
const duration = z.string().regex(DURATION_PATTERN, 'must be a duration such as 500ms, 2s, 1m30s');
const command = z.array(z.string().min(1)).min(1);

/** One environment variable the port reads. */
export const PortEnvVar = z
  .strictObject({
    description: z
      .string()
      .min(1)
      .describe('What the variable means, for people (shown in errors and READMEs).'),
    required: z
      .boolean()
      .default(false)
      .describe('The port cannot run without it: a missing value fails the plan.'),
    default: z.string().optional().describe('Used when the spec gives no value.'),
    pattern: z
      .string()
      .optional()
      .describe('A regular expression (JavaScript syntax, anchored by HIY) the whole value must match.'),
    example: z.string().optional().describe('A value that works, used by `hiy port check` and the README.'),
    secret: z
      .boolean()
      .default(false)
      .describe('The value must come from secretEnv (HIY secret store), never from env in git.'),
    generate: z
      .strictObject({ length: z.number().int().min(8).max(256) })
      .optional()
      .describe('A secret HIY creates once on the box (random, URL-safe) and keeps in its secret store.'),
  })
  .superRefine((v, ctx) => {
    if (v.generate && !v.secret) ctx.addIssue({ code: 'custom', message: 'generate needs secret: true' });
    if (v.pattern !== undefined) {
      try {
        new RegExp(v.pattern);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'is not a valid regular expression' });
      }
    }
  });

export const PortVolume = z.strictObject({
  name: z.string().regex(DNS_LABEL, 'must be a DNS label'),
  mountPath: z.string().regex(/^\/[^\0:]*$/, 'must be an absolute path without ":"'),
  description: z.string().min(1).describe('What the volume holds.'),
});

export const PortPort = z.strictObject({
  containerPort: portNumber,
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  description: z.string().min(1).describe('What the port is for (SMTP, IMAP, SSH, the web site…).'),
  http: z.boolean().default(false).describe('Speaks HTTP: routes may point at it.'),
});

export const PortHealthCheck = z
  .strictObject({
    http: z.strictObject({ path: z.string().regex(/^\//).default('/'), port: portNumber }).optional(),
    tcp: z.strictObject({ port: portNumber }).optional(),
    command: command.optional(),
    interval: duration.default('2s'),
    timeout: duration.default('30s'),
  })
  .superRefine((hc, ctx) => {
    if ([hc.http, hc.tcp, hc.command].filter((p) => p !== undefined).length !== 1)
      ctx.addIssue({ code: 'custom', message: 'give exactly one probe: http, tcp or command' });
  });

export const PortHooks = z.strictObject({
  check: command
    .optional()
    .describe(
      'Run before the first start of a new configuration, in a one-off container: non-zero fails the deploy.',
    ),
  dump: command
    .optional()
    .describe('Run in the running container before a snapshot, so what is on disk is consistent.'),
  migrate: command
    .optional()
    .describe('Run after the snapshot when the data version goes up; called with FROM and TO as arguments.'),
  reload: command
    .optional()
    .describe(
      'Run in the running container when the certificate of its `tls.certificateFor` host was renewed: the service loads the new files without a restart. Without it a renewal replaces the container.',
    ),
  timeout: duration
    .optional()
    .describe('How long one run of a hook may take before it is killed and fails (default 10m).'),
});

/** A port image's declaration (the JSON in the `io.hiy.port.v1` label). */
export const PortDeclaration = z.strictObject({
  contract: z.literal(PORT_CONTRACT_VERSION),
  name: z.string().regex(DNS_LABEL, 'must be a DNS label'),
  version: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?$/, 'must be a version such as 1.2 or 1.2.3'),
  dataVersion: z
    .number()
    .int()
    .min(0)
    .describe('The layout of the data in the volumes; goes up, never down.'),
  description: z.string().min(1),
  env: z.record(z.string().regex(ENV_NAME, 'must be an environment variable name'), PortEnvVar).default({}),
  volumes: z.array(PortVolume).default([]),
  ports: z.array(PortPort).default([]),
  healthcheck: PortHealthCheck.optional(),
  hooks: PortHooks.default({}),
  exec: z
    .strictObject({
      user: z
        .string()
        .regex(EXEC_USER, 'must be a user name or a uid[:gid]')
        .describe('The user `hiy exec` runs commands as unless --user says otherwise (e.g. postgres).'),
    })
    .optional()
    .describe('How `hiy exec` enters the running container.'),
  provides: z
    .record(z.string().regex(ENV_NAME, 'must be an environment variable name'), z.string())
    .default({})
    .describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${…} are the contract's own placeholders
      'Values linked resources receive as environment: ${host} (this resource on the instance network), ${env.NAME} and ${secret.NAME} (from this port; secrets stay secrets).',
    ),
});

export type PortDeclaration = z.infer<typeof PortDeclaration>;
export type PortEnvVar = z.infer<typeof PortEnvVar>;

/**
 * A hook run with `podman exec` (dump, reload), as argv: `env` sets the hook variables, since exec is called without
 * environment options.
 */
export function execHookArgv(hook: 'dump' | 'reload', resource: string, command: string[]): string[] {
  return ['env', `HIY_HOOK=${hook}`, `HIY_RESOURCE=${resource}`, ...command];
}
