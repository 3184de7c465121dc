// Opening a Backup's restic repository: created on first use, and every failure to open it said clearly.
import type { ResticSnapshot, ResticTarget } from '../drivers/restic/types.js';
import { ResticError } from '../drivers/restic/types.js';
import type { Engine } from '../engine/engine.js';
import type { BackupResource } from '../model/resources.js';
import { BackupError, resticOf } from './target.js';

/**
 * Makes sure the repository exists and opens with the password: initializes an empty target, refuses a wrong
 * password or an unreachable target with a message naming the Backup (never the password).
 */
export async function ensureRepository(
  engine: Engine,
  backup: BackupResource,
  target: ResticTarget,
  step?: (message: string) => void,
  opts: { create?: boolean } = { create: true },
): Promise<void> {
  const restic = resticOf(engine);
  const name = `backup/${backup.metadata.name}`;
  try {
    if (await restic.exists(target)) return;
    if (!opts.create)
      throw new BackupError(`${name}: there is no restic repository at ${backup.spec.repository}`);
    step?.(`creating the restic repository at ${backup.spec.repository}`);
    await restic.init(target);
  } catch (err) {
    if (err instanceof ResticError)
      throw new BackupError(`${name} (${backup.spec.repository}): ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * This instance's snapshots in an existing repository, with ensureRepository's refusals (no repository, wrong
 * password, unreachable) but one restic process instead of two: the listing is what opens the repository.
 */
export async function openAndList(
  engine: Engine,
  backup: BackupResource,
  target: ResticTarget,
): Promise<ResticSnapshot[]> {
  const name = `backup/${backup.metadata.name}`;
  try {
    return await resticOf(engine).snapshots(target, { tags: [`hiy.instance=${engine.settings.instance}`] });
  } catch (err) {
    if (!(err instanceof ResticError)) throw err;
    if (err.data.failure === 'no-repository')
      throw new BackupError(`${name}: there is no restic repository at ${backup.spec.repository}`);
    throw new BackupError(`${name} (${backup.spec.repository}): ${err.message}`, { cause: err });
  }
}
