// The Backup resources of the state repo, the restic target each names (password from HIY's secret store), and
// the tags that describe one backed-up volume. Tags are pure.
import { headResources } from '../desired/load.js';
import type { ResticSnapshot, ResticTarget } from '../drivers/restic/types.js';
import type { Engine } from '../engine/engine.js';
import { HiyError } from '../model/errors.js';
import type { BackupResource } from '../model/resources.js';

/** A backup command that cannot be done as asked; what it names is explained, no secret is. */
export class BackupError extends HiyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BACKUP_FAILED', message, options);
    this.name = 'BackupError';
  }
}

/** The restic host of an instance's backups: stable across boxes, so a new box finds the old one's backups. */
export function backupHost(instance: string): string {
  return `hiy-${instance}`;
}

/** The Backup resources at the state repo's head (parsed only: backups still run while another file is invalid). */
export async function stateBackups(engine: Pick<Engine, 'settings' | 'git'>): Promise<BackupResource[]> {
  const resources = await headResources(engine.git, engine.settings.stateRepo, engine.settings.branch);
  return resources.filter((r): r is BackupResource => r.kind === 'Backup');
}

/** The Backup named `name`, or the only one; refuses when there is none or the choice is ambiguous. */
export async function pickBackup(engine: Engine, name?: string): Promise<BackupResource> {
  const all = await stateBackups(engine);
  if (name !== undefined) {
    const found = all.find((b) => b.metadata.name === name);
    if (!found)
      throw new BackupError(
        `the state repo has no valid Backup named ${name}${all.length ? ` (it has: ${all.map((b) => b.metadata.name).join(', ')})` : ''}; hiy validate shows why`,
      );
    return found;
  }
  if (all.length === 1) return all[0]!;
  if (all.length === 0) throw new BackupError('the state repo has no Backup (see docs/backups.md)');
  throw new BackupError(
    `the state repo has ${all.length} Backups (${all.map((b) => b.metadata.name).join(', ')}): name one with --backup NAME`,
  );
}

/** The restic target of a Backup: its repository and, from the secret store, its password and extra env. */
export async function resticTarget(engine: Engine, backup: BackupResource): Promise<ResticTarget> {
  const secret = async (name: string, what: string) => {
    const value = await engine.stores.secrets.value(name);
    if (value === undefined || value === '')
      throw new BackupError(
        `backup/${backup.metadata.name}: secret "${name}" (${what}) is not set; set it with: hiy secret set ${name} < FILE`,
      );
    return value;
  };
  const password = await secret(backup.spec.passwordSecret, 'spec.passwordSecret');
  const env: Record<string, string> = {};
  for (const [k, name] of Object.entries(backup.spec.envSecrets ?? {})) {
    env[k] = await secret(name, `spec.envSecrets.${k}`);
  }
  const sftp = backup.spec.sftp;
  const rest = backup.spec.rest
    ? withLogin(backup, await secret(backup.spec.rest.credentialsSecret, 'spec.rest.credentialsSecret'))
    : undefined;
  return {
    repository: rest?.repository ?? backup.spec.repository,
    password,
    env,
    ...(rest && { hidden: rest.hidden }),
    ...(sftp && {
      sftp: {
        ...(sftp.identitySecret && {
          identity: await secret(sftp.identitySecret, 'spec.sftp.identitySecret'),
        }),
        ...(sftp.knownHostsSecret && {
          knownHosts: await secret(sftp.knownHostsSecret, 'spec.sftp.knownHostsSecret'),
        }),
        ...(sftp.port !== undefined && { port: sftp.port }),
      },
    }),
  };
}

/**
 * A `rest:` repository URL with the server's login (`USER:PASSWORD` from the secret) inserted, percent-encoded:
 * restic 0.14 reads a REST server's login only from the URL. The password (raw and encoded) is masked in restic's
 * messages; the URL itself only ever reaches restic's environment.
 */
function withLogin(backup: BackupResource, credentials: string): { repository: string; hidden: string[] } {
  const colon = credentials.indexOf(':');
  const m = /^rest:(https?:\/\/)(.*)$/.exec(backup.spec.repository);
  if (colon <= 0 || !m)
    throw new BackupError(
      `backup/${backup.metadata.name}: spec.rest.credentialsSecret must hold USER:PASSWORD (one line) for a rest:http(s):// repository`,
    );
  const user = encodeURIComponent(credentials.slice(0, colon));
  const pass = credentials.slice(colon + 1).trim();
  const encoded = encodeURIComponent(pass);
  return { repository: `rest:${m[1]}${user}:${encoded}@${m[2]}`, hidden: [...new Set([pass, encoded])] };
}

/** The driver, or a clear refusal when this engine was built without one. */
export function resticOf(engine: Engine) {
  if (!engine.restic) throw new BackupError('this HIY was built without restic support');
  return engine.restic;
}

/** What the tags of one restic snapshot of a volume say. */
export interface BackupTags {
  instance: string;
  resource: string;
  volume: string;
  /** The local verified snapshot it was copied from. */
  snapshot: string;
  /** sha256 of the snapshot's archive (backups since the change check): an unchanged volume is not uploaded. */
  sha256?: string;
  dataVersion?: number;
  image?: string;
  stateCommit?: string;
}

const PREFIX = 'hiy.';

/** `hiy.resource=port/db`, … — every tag HIY reads back; none may hold a comma (restic splits on them). */
export function backupTags(t: BackupTags): string[] {
  const clean = (v: string) => v.replace(/,/g, '_');
  const tags = [
    `${PREFIX}instance=${clean(t.instance)}`,
    `${PREFIX}resource=${clean(t.resource)}`,
    `${PREFIX}volume=${clean(t.volume)}`,
    `${PREFIX}snapshot=${clean(t.snapshot)}`,
  ];
  if (t.sha256 && /^[0-9a-f]{64}$/.test(t.sha256)) tags.push(`${PREFIX}sha256=${t.sha256}`);
  if (t.dataVersion !== undefined) tags.push(`${PREFIX}data-version=${t.dataVersion}`);
  if (t.image) tags.push(`${PREFIX}image=${clean(t.image)}`);
  if (t.stateCommit) tags.push(`${PREFIX}state-commit=${clean(t.stateCommit)}`);
  return tags;
}

/** The tags of a restic snapshot read back; undefined for a snapshot HIY did not make. */
export function parseBackupTags(tags: string[]): BackupTags | undefined {
  const kv = new Map<string, string>();
  for (const t of tags) {
    if (!t.startsWith(PREFIX)) continue;
    const eq = t.indexOf('=');
    if (eq > 0) kv.set(t.slice(PREFIX.length, eq), t.slice(eq + 1));
  }
  const [instance, resource, volume, snapshot] = ['instance', 'resource', 'volume', 'snapshot'].map((k) =>
    kv.get(k),
  );
  if (!instance || !resource || !volume || !snapshot) return undefined;
  const dv = kv.get('data-version');
  const sha = kv.get('sha256');
  return {
    instance,
    resource,
    volume,
    snapshot,
    ...(sha !== undefined && /^[0-9a-f]{64}$/.test(sha) && { sha256: sha }),
    ...(dv !== undefined && /^\d+$/.test(dv) && { dataVersion: Number(dv) }),
    ...(kv.has('image') && { image: kv.get('image')! }),
    ...(kv.has('state-commit') && { stateCommit: kv.get('state-commit')! }),
  };
}

/** One offsite backup of one volume, as listings show it. */
export interface BackupEntry extends BackupTags {
  id: string;
  shortId: string;
  time: string;
  backup: string;
  /** The directory restic recorded (the local snapshot it was copied from). */
  path: string;
}

/** HIY's backups among restic's snapshots, newest first. */
export function backupEntries(backup: string, list: ResticSnapshot[]): BackupEntry[] {
  const out: BackupEntry[] = [];
  for (const s of list) {
    const tags = parseBackupTags(s.tags);
    if (tags)
      out.push({ ...tags, id: s.id, shortId: s.shortId, time: s.time, backup, path: s.paths[0] ?? '' });
  }
  return out.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
}
