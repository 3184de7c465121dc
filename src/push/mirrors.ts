// The mirror of an App's URL source: fetched by a verified push webhook (or `hiy fetch`) before the controller
// reconciles, and the Apps of the state's head that have one.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { headResources, mirrorDir } from '../desired/load.js';
import { cloneMirror, GitCommandError, hasCommit, updateMirror } from '../drivers/git/mirror.js';
import type { Engine } from '../engine/engine.js';
import { HiyError } from '../model/errors.js';
import type { AppResource } from '../model/resources.js';

/** A fetch of a mirror failed, or the pushed commit is not in it. */
export class MirrorError extends HiyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MIRROR_FAILED', message, options);
    this.name = 'MirrorError';
  }
}

/**
 * Brings the App's mirror up to date with its URL (`git clone --mirror` the first time, `git fetch --prune` after)
 * and checks that `commit`, when given, is now in it. Real git, no shell; credentials are git's own business.
 */
export async function fetchMirror(
  dataDir: string,
  app: string,
  url: string,
  commit?: string,
): Promise<string> {
  const dir = mirrorDir(join(dataDir, 'mirrors'), app);
  const exists = await readFile(join(dir, 'HEAD')).then(
    () => true,
    () => false,
  );
  try {
    if (exists) await updateMirror(dir, url);
    else await cloneMirror(url, dir);
  } catch (err) {
    if (err instanceof GitCommandError)
      throw new MirrorError(`fetching ${app}'s source failed: ${err.message}`, { cause: err });
    throw err;
  }
  if (commit && /^[0-9a-f]{40}$/.test(commit) && !/^0+$/.test(commit) && !(await hasCommit(dir, commit)))
    throw new MirrorError(`${app}: pushed commit ${commit} is not in ${url}`);
  return dir;
}

/**
 * The App resources of the state repo's head, parsed but not resolved: a webhook must find its App (and the
 * first one must create the mirror) even while that App's unfetched source keeps the whole state from loading.
 */
export async function stateApps(engine: Pick<Engine, 'settings' | 'git'>): Promise<AppResource[]> {
  const resources = await headResources(engine.git, engine.settings.stateRepo, engine.settings.branch);
  return resources.filter((r): r is AppResource => r.kind === 'App');
}
