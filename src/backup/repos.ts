// Hosted git repositories (the Apps' sources pushed to HIY) in the backup repository: one `git bundle --all` per
// repository, tagged `hiy.repo=NAME`, so a box rebuilt from git plus one backup keeps what was only pushed.
import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBundle, fetchBundle, headBranch, repoRefs } from '../drivers/git/bundle.js';
import { initBareRepo } from '../drivers/git/mirror.js';
import type {
  ResticBackupSummary,
  ResticKeep,
  ResticSnapshot,
  ResticTarget,
} from '../drivers/restic/types.js';
import { type Engine, reposDir } from '../engine/engine.js';
import { workDir } from './leftovers.js';
import { stagingDir } from './stage.js';
import { BackupError, backupHost, resticOf } from './target.js';

const REPO_TAG = 'hiy.repo=';
const BUNDLE = 'repo.bundle';
const MANIFEST = 'hiy-repo.json';

/** What travels beside the bundle: HEAD's branch and every ref (checked when the repository comes back). */
interface RepoManifest {
  repo: string;
  head: string;
  refs: Record<string, string>;
}

/** One hosted repository's backup, as listings show it. */
export interface RepoBackupEntry {
  repo: string;
  id: string;
  shortId: string;
  time: string;
}

const exists = (path: string) =>
  access(path, constants.F_OK).then(
    () => true,
    () => false,
  );

/** The hosted repositories (`<dataDir>/repos/NAME.git`), by name. */
async function hostedRepos(engine: Engine): Promise<string[]> {
  const dir = reposDir(engine.settings);
  if (!(await exists(dir))) return [];
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && e.name.endsWith('.git'))
    .map((e) => e.name.slice(0, -'.git'.length))
    .sort();
}

/** Bundles and uploads each hosted repository (at a stable staging path), then applies retention per repository. */
export async function uploadRepos(
  engine: Engine,
  target: ResticTarget,
  keep: ResticKeep | undefined,
  step?: (m: string) => void,
): Promise<{ repo: string; id: string; summary: ResticBackupSummary }[]> {
  const { dataDir, instance } = engine.settings;
  const out: { repo: string; id: string; summary: ResticBackupSummary }[] = [];
  for (const repo of await hostedRepos(engine)) {
    const gitDir = join(reposDir(engine.settings), `${repo}.git`);
    const dir = stagingDir(dataDir, `.hiy-repo-${repo}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const refs = await repoRefs(gitDir);
      // An empty repository (created, nothing pushed yet) has no bundle: its manifest alone brings it back.
      if (Object.keys(refs).length) await createBundle(gitDir, join(dir, BUNDLE));
      const manifest: RepoManifest = { repo, head: await headBranch(gitDir), refs };
      await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
      step?.(`uploading hosted repository ${repo} (${Object.keys(refs).length} refs)`);
      const tags = [`hiy.instance=${instance}`, `${REPO_TAG}${repo}`];
      const summary = await resticOf(engine).backup(target, { dir, host: backupHost(instance), tags });
      if (keep) await resticOf(engine).forget(target, { tags, groupBy: 'host', keep });
      out.push({ repo, id: summary.snapshotId, summary });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}

/** This instance's repository backups, newest first. */
export async function repoBackups(engine: Engine, target: ResticTarget): Promise<RepoBackupEntry[]> {
  const list = await resticOf(engine).snapshots(target, {
    tags: [`hiy.instance=${engine.settings.instance}`],
  });
  return repoEntries(list);
}

/** The repository backups among restic's snapshots, newest first. Pure. */
export function repoEntries(list: ResticSnapshot[]): RepoBackupEntry[] {
  const out: RepoBackupEntry[] = [];
  for (const s of list) {
    const tag = s.tags.find((t) => t.startsWith(REPO_TAG));
    if (tag) out.push({ repo: tag.slice(REPO_TAG.length), id: s.id, shortId: s.shortId, time: s.time });
  }
  return out.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
}

/**
 * Brings back the newest backup of every hosted repository that is not on the box: a new bare repository
 * (HEAD on the same branch) fetches every ref from the bundle, and must then hold exactly the refs recorded.
 */
export async function restoreRepos(
  engine: Engine,
  target: ResticTarget,
  step?: (m: string) => void,
): Promise<{ repo: string; id: string; refs: number }[]> {
  const seen = new Set<string>();
  const restored: { repo: string; id: string; refs: number }[] = [];
  for (const entry of await repoBackups(engine, target)) {
    if (seen.has(entry.repo)) continue;
    seen.add(entry.repo);
    const gitDir = join(reposDir(engine.settings), `${entry.repo}.git`);
    if (await exists(gitDir)) throw new BackupError(`${gitDir} exists: restore-box fills an empty box only`);
    const tmp = await workDir(engine.settings.dataDir, 'repo');
    try {
      step?.(`restoring hosted repository ${entry.repo} from backup ${entry.shortId}`);
      await resticOf(engine).restore(target, { id: entry.id, targetDir: tmp });
      const manifest = JSON.parse(await readFile(join(tmp, MANIFEST), 'utf8')) as RepoManifest;
      const building = `${gitDir}.restoring`;
      await rm(building, { recursive: true, force: true });
      await initBareRepo(building, manifest.head);
      if (Object.keys(manifest.refs).length) await fetchBundle(building, join(tmp, BUNDLE));
      const got = await repoRefs(building);
      if (JSON.stringify(got) !== JSON.stringify(manifest.refs)) {
        await rm(building, { recursive: true, force: true });
        throw new BackupError(`hosted repository ${entry.repo} (backup ${entry.shortId}): its refs differ`);
      }
      await rename(building, gitDir);
      restored.push({ repo: entry.repo, id: entry.id, refs: Object.keys(got).length });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  return restored;
}
