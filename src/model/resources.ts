// The hiy/v1 resources (App, Port, User, Notifier, Backup): each kind's schema, the union of them, their types.
import * as z from 'zod';
import { BackupSpec } from './backupSpec.js';
import { AppSpec, dnsLabel, PortSpec } from './workloadSpec.js';

export * from './backupSpec.js';
export * from './workloadSpec.js';

export const API_VERSION = 'hiy/v1';

export const Metadata = z.strictObject({
  name: dnsLabel.describe('Name of the resource; containers and volumes are named after it.'),
  labels: z.record(z.string(), z.string()).optional().describe('Free-form labels, for people and tools.'),
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
  'job.failed',
  'build.failed',
  'backup.failed',
  'backup.stale',
  'backup.check.failed',
  'backup.drill.failed',
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
export const BackupResource = resourceSchema('Backup', BackupSpec);

/** The schema of each kind, used to validate documents and to generate crds/. */
export const KIND_SCHEMAS = {
  Port: PortResource,
  App: AppResource,
  User: UserResource,
  Notifier: NotifierResource,
  Backup: BackupResource,
} as const;

export type PortResource = z.infer<typeof PortResource>;
export type AppResource = z.infer<typeof AppResource>;
export type UserResource = z.infer<typeof UserResource>;
export type NotifierResource = z.infer<typeof NotifierResource>;
export type BackupResource = z.infer<typeof BackupResource>;
/** Any resource of the state repo, after validation and defaults. */
export type Resource = PortResource | AppResource | UserResource | NotifierResource | BackupResource;
export type Workload = PortResource | AppResource;
