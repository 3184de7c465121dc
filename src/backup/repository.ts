// Opening a Backup's restic repository: created on first use, and every failure to open it said clearly.
import type { ResticTarget } from '../drivers/restic/types.js';
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
