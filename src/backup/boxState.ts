// HIY's own state in the backup repository, so a new box can be brought back from git plus one repository: the
// secret store (generated database passwords, the restic password itself), releases, pins, data versions,
// API tokens, passkeys, the ssh account's keys, job runs, the audit log and the events (hosted repositories
// travel as git bundles: repos.ts).
// Copied as files (restic dedupes them), with a manifest of checksums checked when they come back.
import { constants } from 'node:fs';
import { access, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResticBackupSummary, ResticTarget } from '../drivers/restic/types.js';
import type { Engine } from '../engine/engine.js';
import { checksumTree, compareChecksums, stagingDir } from './stage.js';
import { BackupError, backupHost, resticOf } from './target.js';

/**
 * What of the data directory travels. Left out: snapshots (the volumes travel themselves), hosted repositories
 * (bundles of their own, repos.ts; a box state of an earlier HIY may still hold `repos`), builds and mirrors
 * (made again), locks, the crash journal, the daemon's runtime files, sessions and sign-in links (short-lived),
 * caches (port declarations, previous logs) and the backup folder itself.
 */
export const BOX_STATE_ENTRIES = [
  'secrets',
  'releases',
  'pins.json',
  'data-versions.json',
  'api-tokens.json',
  'passkeys.json',
  'ssh-account.json',
  'jobs',
  'audit.log',
  'events.jsonl',
] as const;

/** The tag that marks the box state's restic snapshots (one per backup run of the whole box). */
export const BOX_STATE_TAG = 'hiy.box-state=1';
const STATE_DIR = 'state';
const MANIFEST = 'hiy-box.json';

interface BoxManifest {
  instance: string;
  takenAt: string;
  entries: string[];
  checksums: Record<string, string>;
}

const exists = (path: string) =>
  access(path, constants.F_OK).then(
    () => true,
    () => false,
  );

/** Stages and uploads the box state; returns restic's summary. The staged copy is removed either way. */
export async function uploadBoxState(
  engine: Engine,
  target: ResticTarget,
  step?: (m: string) => void,
): Promise<ResticBackupSummary> {
  const { dataDir, instance } = engine.settings;
  const dir = stagingDir(dataDir, '.hiy-box');
  await rm(dir, { recursive: true, force: true });
  try {
    const state = join(dir, STATE_DIR);
    await mkdir(state, { recursive: true, mode: 0o700 });
    const entries: string[] = [];
    for (const e of BOX_STATE_ENTRIES) {
      if (!(await exists(join(dataDir, e)))) continue;
      // Lock files beside the stores (`*.lock`) are not state.
      await cp(join(dataDir, e), join(state, e), {
        recursive: true,
        preserveTimestamps: true,
        filter: (src) => !src.endsWith('.lock'),
      });
      entries.push(e);
    }
    const manifest: BoxManifest = {
      instance,
      takenAt: new Date().toISOString(),
      entries,
      checksums: await checksumTree(state),
    };
    await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    step?.(`uploading HIY's own state (${entries.length} entries: secrets, releases, repositories…)`);
    return await resticOf(engine).backup(target, {
      dir,
      host: backupHost(instance),
      tags: [`hiy.instance=${instance}`, BOX_STATE_TAG],
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Puts the newest box state of this instance back into the data directory: restored to a temporary folder,
 * checked against its manifest, then copied in. Refuses to overwrite any entry already there.
 */
export async function restoreBoxState(
  engine: Engine,
  target: ResticTarget,
  step?: (m: string) => void,
): Promise<{ id: string; time: string; entries: string[] }> {
  const { dataDir, instance } = engine.settings;
  const restic = resticOf(engine);
  const list = await restic.snapshots(target, { tags: [`hiy.instance=${instance}`, 'hiy.box-state=1'] });
  const newest = [...list].sort((a, b) => (a.time < b.time ? 1 : -1))[0];
  if (!newest)
    throw new BackupError(
      `the repository holds no state of HIY instance "${instance}" (a backup of the whole box stores it; is HIY_INSTANCE the old box's?)`,
    );
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(join(dataDir, '.restore-box-'));
  try {
    step?.(`restoring HIY's own state from backup ${newest.shortId} (${newest.time})`);
    await restic.restore(target, { id: newest.id, targetDir: tmp });
    const manifest = JSON.parse(await readFile(join(tmp, MANIFEST), 'utf8')) as BoxManifest;
    const problems = compareChecksums(manifest.checksums, await checksumTree(join(tmp, STATE_DIR)));
    if (problems.length)
      throw new BackupError(
        `the box state in backup ${newest.shortId} failed verification: ${problems.slice(0, 5).join('; ')}`,
      );
    for (const e of await readdir(join(tmp, STATE_DIR))) {
      if (await exists(join(dataDir, e)))
        throw new BackupError(`${join(dataDir, e)} exists: restore-box fills an empty data directory only`);
    }
    for (const e of manifest.entries)
      await cp(join(tmp, STATE_DIR, e), join(dataDir, e), { recursive: true, preserveTimestamps: true });
    return { id: newest.id, time: newest.time, entries: manifest.entries };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
