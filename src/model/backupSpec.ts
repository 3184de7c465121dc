// The zod schema of a Backup's spec: the restic repository, its password and access, schedules, retention, drills.
import * as z from 'zod';
import { ENV_NAME, SECRET_NAME } from './names.js';

/** How many restic snapshots of each volume a Backup keeps (`restic forget --keep-*`); at least one is kept. */
export const BackupKeep = z
  .strictObject({
    last: z.number().int().min(1).optional().describe('The newest N backups of each volume.'),
    hourly: z.number().int().min(1).optional(),
    daily: z.number().int().min(1).optional(),
    weekly: z.number().int().min(1).optional(),
    monthly: z.number().int().min(1).optional(),
    yearly: z.number().int().min(1).optional(),
  })
  .describe(
    'Retention per volume, as restic forget --keep-last/-hourly/-daily/…; all backups kept when omitted.',
  );

/** How restic's ssh reaches an `sftp:` repository: the key, the known host keys and the port, from secrets. */
export const BackupSftp = z
  .strictObject({
    identitySecret: z
      .string()
      .regex(SECRET_NAME, 'must be a secret name (hiy secret set NAME)')
      .optional()
      .describe('Secret holding the private key ssh logs in with (hiy secret set NAME < KEYFILE).'),
    knownHostsSecret: z
      .string()
      .regex(SECRET_NAME, 'must be a secret name (hiy secret set NAME)')
      .optional()
      .describe(
        "Secret holding the server's known_hosts lines (ssh-keyscan -p PORT HOST); host keys are then checked strictly.",
      ),
    port: z.number().int().min(1).max(65535).optional().describe('The SSH port (default 22).'),
  })
  .describe(
    "For an sftp: repository: how restic's ssh logs in; root's ~/.ssh (config, keys, known_hosts) when omitted.",
  );

/** The login of a `rest:` repository (a restic REST server), from a secret, so no password sits in git. */
export const BackupRest = z
  .strictObject({
    credentialsSecret: z
      .string()
      .regex(SECRET_NAME, 'must be a secret name (hiy secret set NAME)')
      .describe(
        'Secret holding USER:PASSWORD of the REST server (HTTP basic auth); HIY puts it into the URL restic gets.',
      ),
  })
  .describe("For a rest: repository: the server's login, from a secret.");

export const BackupSpec = z.strictObject({
  repository: z
    .string()
    .min(1)
    .refine((r) => !r.includes('\0') && !/[\r\n]/.test(r), 'must be one line without NUL bytes')
    .refine(
      (r) => r.startsWith('/') || /^(sftp|rest|s3|b2|azure|gs|swift|rclone):/.test(r),
      'must be an absolute path or a restic repository URL (sftp:…, rest:…, s3:…)',
    )
    .describe(
      'The restic repository: an absolute path (a second disk), sftp:user@host:/path, rest:https://…, s3:…',
    ),
  passwordSecret: z
    .string()
    .regex(SECRET_NAME, 'must be a secret name (hiy secret set NAME)')
    .describe(
      "Name of the secret (hiy secret set NAME) holding the repository's password; never the password.",
    ),
  envSecrets: z
    .record(z.string().regex(ENV_NAME, 'must be an environment variable name'), z.string().regex(SECRET_NAME))
    .optional()
    .describe('Environment for restic from secrets, e.g. {AWS_SECRET_ACCESS_KEY: s3-key} for an S3 target.'),
  sftp: BackupSftp.optional(),
  rest: BackupRest.optional(),
  schedule: z
    .string()
    .optional()
    .describe("Cron schedule of hiy daemon's backups (5 fields, or 6 with seconds)."),
  resources: z
    .array(z.string().regex(/^(app|port)\/[a-z0-9-]+$/, 'must be a resource id such as port/mail'))
    .min(1)
    .optional()
    .describe("The resources whose volumes it copies; every resource's volumes when omitted."),
  keep: BackupKeep.optional(),
  check: z
    .strictObject({
      schedule: z.string().describe('Cron schedule of restic check --read-data-subset.'),
      readDataSubset: z
        .string()
        .regex(/^(\d+(\.\d+)?%|\d+\/\d+|\d+[KMGT]?)$/, 'must be a restic subset: 5%, 1/10 or 500M')
        .default('5%'),
    })
    .optional()
    .describe('A scheduled restic check that reads a bounded part of the data.'),
  drill: z
    .strictObject({ schedule: z.string().describe('Cron schedule of restore drills.') })
    .optional()
    .describe(
      'Scheduled restore drills: the latest backup of each volume restored into a scratch volume and checked.',
    ),
});

export type BackupSpec = z.infer<typeof BackupSpec>;
