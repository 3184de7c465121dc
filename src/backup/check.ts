// `restic check` of a Backup's repository, reading a bounded subset of the data (spec.check.readDataSubset), so
// a damaged pack is found by a schedule rather than on the day of a restore. Pass or fail is an event.

import type { Engine } from '../engine/engine.js';
import { errorMessage } from '../model/errors.js';
import { ensureRepository } from './repository.js';
import { pickBackup, resticOf, resticTarget } from './target.js';

/** One check of a repository. */
export interface CheckResult {
  backup: string;
  repository: string;
  readDataSubset?: string;
  passed: boolean;
  error?: string;
}

/** Checks the repository; a failure is a result (and a `backup.check.failed` event), never an exception. */
export async function checkBackup(
  engine: Engine,
  opts: { backup?: string; readDataSubset?: string; onStep?: (m: string) => void } = {},
): Promise<CheckResult> {
  const backup = await pickBackup(engine, opts.backup);
  const name = backup.metadata.name;
  const subset = opts.readDataSubset ?? backup.spec.check?.readDataSubset;
  const result: CheckResult = {
    backup: name,
    repository: backup.spec.repository,
    ...(subset && { readDataSubset: subset }),
    passed: true,
  };
  try {
    const target = await resticTarget(engine, backup);
    await ensureRepository(engine, backup, target, undefined, { create: false });
    opts.onStep?.(`checking ${backup.spec.repository}${subset ? ` (reading ${subset} of the data)` : ''}`);
    await resticOf(engine).check(target, { ...(subset && { readDataSubset: subset }) });
  } catch (err) {
    result.passed = false;
    result.error = errorMessage(err);
  }
  await engine.stores.events.append([
    result.passed
      ? {
          type: 'backup.checked',
          message: `backup/${name}: the repository checked out${subset ? ` (${subset} of the data read)` : ''}`,
          data: { backup: name, ...(subset && { readDataSubset: subset }) },
        }
      : {
          type: 'backup.check.failed',
          message: `backup/${name}: the repository check FAILED: ${result.error}`,
          data: { backup: name, error: result.error },
        },
  ]);
  await engine.stores.backupHistory.record([
    {
      backup: name,
      resource: '',
      what: 'check',
      ok: result.passed,
      at: new Date().toISOString(),
      ...(result.error && { error: result.error }),
    },
  ]);
  return result;
}
