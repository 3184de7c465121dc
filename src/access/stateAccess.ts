// Who may reach what over ssh: the User, App and Port resources of the state repo, read leniently.
import { isStateFilePath } from '../desired/load.js';
import { parseStateFile } from '../desired/parse.js';
import type { GitReader } from '../drivers/git/types.js';
import type { AppResource, PortResource, UserResource } from '../model/resources.js';
import type { Settings } from '../model/settings.js';

/** Users, Apps and Ports of the state repo at its branch head. */
export interface Access {
  commit: string;
  users: Map<string, UserResource>;
  apps: AppResource[];
  /** What names resolve to (access/targets.ts): a verb's `NAME` may be a Port. */
  ports: PortResource[];
}

/**
 * Reads the Users, Apps and Ports that validate on their own, at the head of the state branch. Unlike a reconcile it
 * does not need the whole state to be valid: an unrelated broken file (or an App whose source is missing) must
 * not lock the admins out of pushing the fix. A user name defined twice grants nothing.
 */
export async function loadAccess(
  settings: Pick<Settings, 'stateRepo' | 'branch'>,
  git: GitReader,
): Promise<Access> {
  const commit = await git.resolveBranch(settings.stateRepo, settings.branch);
  const files = (await git.listFiles(settings.stateRepo, commit)).filter((f) => isStateFilePath(f.path));
  const users = new Map<string, UserResource>();
  const twice = new Set<string>();
  const apps: AppResource[] = [];
  const ports: PortResource[] = [];
  for (const f of files) {
    const text = new TextDecoder().decode(await git.readBlob(settings.stateRepo, f.oid));
    for (const { resource } of parseStateFile({ path: f.path, text }).resources) {
      if (resource.kind === 'User') {
        if (users.has(resource.metadata.name)) twice.add(resource.metadata.name);
        users.set(resource.metadata.name, resource);
      } else if (resource.kind === 'App') apps.push(resource);
      else if (resource.kind === 'Port') ports.push(resource);
    }
  }
  for (const name of twice) users.delete(name);
  return { commit, users, apps, ports };
}

/** The Apps built from the hosted repository `repo` (usually the one App of that name). */
export function appsUsingRepo(access: Access, repo: string): AppResource[] {
  return access.apps.filter((a) => a.spec.source.repo === repo);
}
