// `hiy restore-box --backup NAME`: a whole box brought back on an empty machine from a clone of the state repo and
// the backup repository (location and password): HIY's own state and hosted repositories first, then every volume's latest backup,
// each verified before it is written; the apply that starts the services is the caller's next step.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResticTarget } from '../drivers/restic/types.js';
import type { Engine } from '../engine/engine.js';
import { ownershipLabels } from '../model/labels.js';
import { BOX_STATE_ENTRIES, restoreBoxState } from './boxState.js';
import { restoreRepos } from './repos.js';
import { ensureRepository } from './repository.js';
import { type BackupRestoreOutcome, latestPerVolume, restoreFromBackup } from './restore.js';
import { BackupError, backupEntries, pickBackup, resticOf } from './target.js';

export interface RestoreBoxOutcome {
  backup: string;
  repository: string;
  /** The box state restored (restic id and time) and what it held. */
  state: { id: string; time: string; entries: string[] };
  /** Each hosted git repository put back (its refs checked against the backup's). */
  repos: { repo: string; id: string; refs: number }[];
  /** Each volume put back. */
  volumes: BackupRestoreOutcome[];
}

/**
 * Refuses unless the box is empty for this instance: no HIY container or volume, and none of the state the
 * restore writes in the data directory. Nothing is ever overwritten; a half-done restore-box (a failure after
 * some volumes) is finished by removing what it made and running it again.
 */
async function assertEmpty(engine: Engine): Promise<void> {
  const labels = ownershipLabels(engine.settings.instance);
  const [containers, volumes] = await Promise.all([
    engine.podman.listContainers(labels),
    engine.podman.listVolumes(labels),
  ]);
  const present: string[] = [];
  if (containers.length) present.push(`${containers.length} container(s) (${containers[0]!.name}…)`);
  if (volumes.length) present.push(`${volumes.length} volume(s) (${volumes[0]!.name}…)`);
  for (const e of [...BOX_STATE_ENTRIES, 'repos']) {
    const path = join(engine.settings.dataDir, e);
    if (
      await access(path, constants.F_OK).then(
        () => true,
        () => false,
      )
    )
      present.push(path);
  }
  if (present.length)
    throw new BackupError(
      `restore-box brings back an empty box only; instance "${engine.settings.instance}" has: ${present.join(', ')}. Restore single resources with hiy backup restore`,
    );
}

/** Restores HIY's state and every volume of this instance from the Backup's repository. */
export async function restoreBox(
  engine: Engine,
  opts: {
    backup?: string;
    /** The repository's password (from a file or stdin: the secret store is empty on a new box). */
    password: string;
    /** Where the repository is now, when not where the Backup says (a disk mounted elsewhere). */
    repository?: string;
    /** Environment for restic (S3 keys…), e.g. the variables spec.envSecrets names. */
    env?: Record<string, string>;
    onStep?: (m: string) => void;
  },
): Promise<RestoreBoxOutcome> {
  const backup = await pickBackup(engine, opts.backup);
  const step = opts.onStep;
  await assertEmpty(engine);
  const target: ResticTarget = {
    repository: opts.repository ?? backup.spec.repository,
    password: opts.password,
    ...(opts.env && { env: opts.env }),
    // The key and known hosts are in the (empty) secret store: ssh uses root's ~/.ssh; the port is in git.
    ...(backup.spec.sftp?.port !== undefined && { sftp: { port: backup.spec.sftp.port } }),
  };
  await ensureRepository(
    engine,
    { ...backup, spec: { ...backup.spec, repository: target.repository } },
    target,
    step,
    { create: false },
  );
  const state = await restoreBoxState(engine, target, step);
  const repos = await restoreRepos(engine, target, step);
  const list = await resticOf(engine).snapshots(target, {
    tags: [`hiy.instance=${engine.settings.instance}`],
  });
  const latest = latestPerVolume(backupEntries(backup.metadata.name, list));
  const volumes: BackupRestoreOutcome[] = [];
  for (const resource of [...new Set(latest.map((e) => e.resource))].sort()) {
    step?.(`restoring the volumes of ${resource}`);
    volumes.push(
      ...(await restoreFromBackup(engine, {
        resource,
        backup: backup.metadata.name,
        target,
        ...(step && { onStep: step }),
      })),
    );
  }
  return { backup: backup.metadata.name, repository: target.repository, state, repos, volumes };
}
