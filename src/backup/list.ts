// `hiy backup list`: HIY's backups in a Backup's restic repository, of one resource or volume or all, and of
// the hosted git repositories and HIY's own state.
import type { ResticSnapshot } from '../drivers/restic/types.js';
import type { Engine } from '../engine/engine.js';
import { BOX_STATE_TAG } from './boxState.js';
import { type RepoBackupEntry, repoEntries } from './repos.js';
import { openAndList } from './repository.js';
import { type BackupEntry, backupEntries, pickBackup, resticTarget } from './target.js';

/** `greeter`, `port/greeter` or a volume name → does this backup match? */
export function entryMatches(e: BackupEntry, name: string): boolean {
  if (e.volume === name || e.resource === name) return true;
  return !name.includes('/') && (e.resource === `port/${name}` || e.resource === `app/${name}`);
}

/** One backup of HIY's own state (secrets, releases, repositories' records: boxState.ts). */
export interface BoxStateEntry {
  id: string;
  shortId: string;
  time: string;
}

/** Everything of this instance in a Backup's repository: volumes, hosted git repositories, HIY's own state. */
export interface BackupListing {
  backups: BackupEntry[];
  repositories: RepoBackupEntry[];
  boxState: BoxStateEntry[];
}

/** The box state's backups among restic's snapshots, newest first. Pure. */
export function boxStateEntries(list: ResticSnapshot[]): BoxStateEntry[] {
  return list
    .filter((s) => s.tags.includes(BOX_STATE_TAG))
    .map((s) => ({ id: s.id, shortId: s.shortId, time: s.time }))
    .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
}

/** Every backup of this instance in the repository, read with one restic call; newest first. */
export async function listEverything(engine: Engine, opts: { backup?: string } = {}): Promise<BackupListing> {
  const backup = await pickBackup(engine, opts.backup);
  const target = await resticTarget(engine, backup);
  const list = await openAndList(engine, backup, target);
  return {
    backups: backupEntries(backup.metadata.name, list),
    repositories: repoEntries(list),
    boxState: boxStateEntries(list),
  };
}

/**
 * What a caller may see of a listing: the backups of resources it may read, the hosted repository of each App
 * it may read (a repository is named after its App), and HIY's own state only with read on the whole box (`*`).
 */
export function visibleListing(
  listing: BackupListing,
  mayRead: (resource: string) => boolean,
): BackupListing {
  return {
    backups: listing.backups.filter((e) => mayRead(e.resource)),
    repositories: listing.repositories.filter((r) => mayRead(`app/${r.repo}`)),
    boxState: mayRead('*') ? listing.boxState : [],
  };
}

/** A listing narrowed to one resource: its volumes' backups and, for an App, its hosted repository's. */
export function listingOf(listing: BackupListing, resource: string): BackupListing {
  // `blog` or `app/blog` names App blog's repository; a Port has none.
  const app = resource.startsWith('port/') ? undefined : resource.replace(/^app\//, '');
  return {
    backups: listing.backups.filter((e) => entryMatches(e, resource)),
    repositories: listing.repositories.filter((r) => r.repo === app),
    boxState: [],
  };
}
