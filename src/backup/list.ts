// `hiy backup list`: HIY's backups in a Backup's restic repository, of one resource or volume or all, and of
// the hosted git repositories.
import type { Engine } from '../engine/engine.js';
import { type RepoBackupEntry, repoBackups } from './repos.js';
import { ensureRepository } from './repository.js';
import { type BackupEntry, backupEntries, pickBackup, resticOf, resticTarget } from './target.js';

/** `greeter`, `port/greeter` or a volume name → does this backup match? */
export function entryMatches(e: BackupEntry, name: string): boolean {
  if (e.volume === name || e.resource === name) return true;
  return !name.includes('/') && (e.resource === `port/${name}` || e.resource === `app/${name}`);
}

/** This instance's backups in the repository, newest first (of `resource` when given). */
export async function listBackups(
  engine: Engine,
  opts: { backup?: string; resource?: string } = {},
): Promise<BackupEntry[]> {
  const backup = await pickBackup(engine, opts.backup);
  const target = await resticTarget(engine, backup);
  await ensureRepository(engine, backup, target, undefined, { create: false });
  const list = await resticOf(engine).snapshots(target, {
    tags: [`hiy.instance=${engine.settings.instance}`],
  });
  const entries = backupEntries(backup.metadata.name, list);
  return opts.resource ? entries.filter((e) => entryMatches(e, opts.resource!)) : entries;
}

/** This instance's backups of hosted git repositories in the repository, newest first. */
export async function listRepoBackups(
  engine: Engine,
  opts: { backup?: string } = {},
): Promise<RepoBackupEntry[]> {
  const backup = await pickBackup(engine, opts.backup);
  const target = await resticTarget(engine, backup);
  await ensureRepository(engine, backup, target, undefined, { create: false });
  return repoBackups(engine, target);
}
