// Podman secrets for secretEnv: created from HIY's secret store just before a container needs them, removed
// once no container of the instance uses them. Values pass from the store to `podman secret create` on stdin.
import { HiyError } from '../model/errors.js';
import { LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_RESOURCE, ownershipLabels } from '../model/labels.js';
import { LABEL_SECRETS } from '../plan/plan.js';
import type { Action, ContainerCreate, ContainerReplace, Plan } from '../plan/types.js';
import type { ApplyDeps } from './types.js';

/** A secret the plan needs is missing from the store or changed since the plan was computed. */
export class SecretChangedError extends HiyError {
  constructor(message: string) {
    super('SECRET_CHANGED', message);
    this.name = 'SecretChangedError';
  }
}

/** Creates the Podman secrets of a container action that do not exist yet (names are content-addressed). */
export async function ensureSecrets(a: ContainerCreate | ContainerReplace, deps: ApplyDeps): Promise<void> {
  if (!a.secrets?.length) return;
  if (!deps.secrets)
    throw new SecretChangedError(`${a.resource} uses secretEnv but no secret store was given`);
  const labels = {
    [LABEL_MANAGED_BY]: a.run.labels[LABEL_MANAGED_BY] ?? 'hiy',
    [LABEL_INSTANCE]: a.run.labels[LABEL_INSTANCE] ?? 'default',
    [LABEL_RESOURCE]: a.resource,
  };
  for (const s of a.secrets) {
    const value = await deps.secrets.value(s.ref);
    if (value === undefined)
      throw new SecretChangedError(
        `${a.resource}: secret "${s.ref}" (${s.env}) is no longer set; set it or plan again`,
      );
    if ((await deps.secrets.digest(value)) !== s.digest)
      throw new SecretChangedError(
        `${a.resource}: secret "${s.ref}" (${s.env}) changed since the plan was made; plan again`,
      );
    try {
      await deps.podman.createSecret(s.name, value, labels);
    } catch (err) {
      // The name carries the value's digest: an existing secret of that name already holds this value.
      if (!/secret name in use/.test(String((err as { data?: { stderr?: string } }).data?.stderr ?? '')))
        throw err;
    }
  }
}

function viewHasSecrets(view: unknown): boolean {
  return view !== null && typeof view === 'object' && 'secretEnv' in view;
}

/** True when the plan creates, replaces or removes a container that has (or had) secrets. */
export function planTouchesSecrets(plan: Plan): boolean {
  return plan.actions.some(
    (a: Action) =>
      (a.kind === 'container.create' || a.kind === 'container.replace' || a.kind === 'container.delete') &&
      (viewHasSecrets(a.before) || viewHasSecrets(a.after)),
  );
}

/** Removes the instance's Podman secrets that no container of the instance lists in its hiy.secrets label. */
export async function pruneSecrets(instance: string, deps: ApplyDeps): Promise<string[]> {
  const owner = ownershipLabels(instance);
  // Two independent reads, made at once (the apply lock is held: neither list changes in between).
  const [containers, secrets] = await Promise.all([
    deps.podman.listContainers(owner),
    deps.podman.listSecrets(owner),
  ]);
  const used = new Set<string>();
  for (const c of containers)
    for (const name of (c.labels[LABEL_SECRETS] ?? '').split(',')) if (name) used.add(name);
  const removed: string[] = [];
  for (const s of secrets) {
    if (used.has(s.name)) continue;
    await deps.podman.removeSecret(s.name);
    removed.push(s.name);
  }
  return removed;
}
