// `hiy config`: a resource's env as the state repo has it, and edits of it committed to the state repo.
import { findResourceFile, mayHoldName, resourcesIn, setEnv, targetId, unsetEnv } from '../desired/edit.js';
import { headResources } from '../desired/load.js';
import type { CommitAuthor } from '../drivers/git/commit.js';
import { resolveWorkloadName } from '../model/names.js';
import type { Engine } from './engine.js';
import { OperationError } from './resourceTarget.js';
import { editStateRepo, type StateEditResult } from './stateEdit.js';

/** A resource's configuration at the state repo's head: plain variables with values, secret ones by name only. */
export interface ResourceConfig {
  resource: string;
  env: Record<string, string>;
  /** Variable → the secret store's name (never the value). */
  secretEnv: Record<string, string>;
}

async function resolve(engine: Engine, name: string) {
  const resources = await headResources(engine.git, engine.settings.stateRepo, engine.settings.branch);
  const workloads = resources.filter((r) => r.kind === 'App' || r.kind === 'Port');
  const id = resolveWorkloadName(
    name,
    workloads.map((r) => `${r.kind.toLowerCase()}/${r.metadata.name}`),
  );
  const resource = workloads.find((r) => `${r.kind.toLowerCase()}/${r.metadata.name}` === id);
  if (!id || !resource || (resource.kind !== 'App' && resource.kind !== 'Port')) {
    throw new OperationError('RESOURCE_UNKNOWN', `no App or Port named ${name} in the state repo`, { name });
  }
  return { id, resource };
}

/** The env of a resource at the state repo's head. */
export async function showConfig(engine: Engine, name: string): Promise<ResourceConfig> {
  const { id, resource } = await resolve(engine, name);
  return {
    resource: id,
    env: { ...(resource.spec.env ?? {}) },
    secretEnv: { ...(resource.spec.secretEnv ?? {}) },
  };
}

export interface ConfigEdit {
  name: string;
  /** Variables to set (`set`), or names to remove (`unset`). */
  set?: Record<string, string>;
  unset?: string[];
  author: CommitAuthor;
  dryRun?: boolean;
}

/** `config: set A, B on app/blog` / `config: unset A on app/blog`. */
export function configMessage(id: string, edit: Pick<ConfigEdit, 'set' | 'unset'>): string {
  const keys = edit.set ? Object.keys(edit.set) : (edit.unset ?? []);
  return `config: ${edit.set ? 'set' : 'unset'} ${keys.join(', ')} on ${id}`;
}

/**
 * Sets or unsets variables of a resource's `spec.env` in one commit to the state repo (comments and formatting
 * kept), after validating the whole new state and planning it; the daemon or `hiy apply` applies it.
 */
export async function editConfig(
  engine: Engine,
  edit: ConfigEdit,
): Promise<StateEditResult & { resource: string }> {
  let id = edit.name;
  // The resource is found in the files the edit reads (one read of the state repo, not two).
  const result = await editStateRepo(engine, {
    edit(files) {
      const target = findTarget(files, edit.name);
      id = targetId(target);
      const file = findResourceFile(files, target);
      const text = files.get(file)!;
      return {
        [file]: edit.set
          ? setEnv(text, target, edit.set, file)
          : unsetEnv(text, target, edit.unset ?? [], file),
      };
    },
    author: edit.author,
    message: () => configMessage(id, edit),
    dryRun: edit.dryRun,
  });
  return { ...result, resource: id };
}

/** `blog` → the App or Port named blog among the files (App first, as resolveWorkloadName does for ids). */
function findTarget(files: ReadonlyMap<string, string>, name: string): { kind: string; name: string } {
  if (name.includes('/')) {
    const [kind, bare] = name.split('/', 2) as [string, string];
    if (kind === 'app' || kind === 'port') return { kind: kind === 'app' ? 'App' : 'Port', name: bare };
  }
  // Only the files that may name it are parsed (one, usually).
  const all = [...files]
    .filter(([, text]) => mayHoldName(text, name))
    .flatMap(([path, text]) => resourcesIn(text, path));
  const kinds = ['App', 'Port'].filter((kind) => all.some((r) => r.kind === kind && r.name === name));
  if (kinds.length === 1) return { kind: kinds[0]!, name };
  throw new OperationError('RESOURCE_UNKNOWN', `no App or Port named ${name} in the state repo`, { name });
}
