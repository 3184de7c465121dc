// Finding what an everyday operation acts on: a resource's id, its running container and its applied release.

import { resolveWorkloadName } from '../access/targets.js';
import { headResources } from '../desired/load.js';
import type { ContainerInfo } from '../model/containers.js';
import { HiyError } from '../model/errors.js';
import { LABEL_ONE_OFF, LABEL_RESOURCE, ownershipLabels } from '../model/labels.js';
import { objectNames } from '../model/names.js';
import type { Release } from '../store/releases.js';
import type { Engine } from './engine.js';

export type OperationErrorCode =
  | 'RESOURCE_UNKNOWN'
  | 'NO_CONTAINER'
  | 'NOT_RUNNING'
  | 'UPGRADING'
  | 'JOB_UNKNOWN'
  | 'JOB_BUSY'
  | 'NOT_CONVERGED'
  | 'EXEC_USER_INVALID'
  | 'NO_PREVIOUS';

/** An everyday operation (logs, exec, run, restart, job run) that cannot be done as asked. */
export class OperationError extends HiyError {
  declare readonly code: OperationErrorCode;
  constructor(code: OperationErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, { data });
    this.name = 'OperationError';
  }
}

/** The name without a kind (`app/blog` → `blog`): Apps and Ports share one namespace and one container name. */
export function bareName(name: string): string {
  return name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
}

/** The container name of a resource: `hiy-blog` (instance `default`) or `hiy-INSTANCE-blog`. */
export function containerNameOf(engine: Engine, name: string): string {
  return objectNames(engine.settings.instance).container(bareName(name));
}

/**
 * The workload container of a resource (one `podman ps`), or undefined. One-offs are never it. Given a kind
 * (`app/blog`), only a container labelled as that resource is it: `app/db` never reaches the Port db's container.
 */
export async function findWorkloadContainer(
  engine: Engine,
  name: string,
): Promise<ContainerInfo | undefined> {
  const wanted = containerNameOf(engine, name);
  const all = await engine.podman.listContainers(ownershipLabels(engine.settings.instance));
  return all.find(
    (c) =>
      c.name === wanted &&
      !c.labels[LABEL_ONE_OFF] &&
      (!name.includes('/') || c.labels[LABEL_RESOURCE] === name),
  );
}

/**
 * Why a resource has no container to act on, as an OperationError: not in the state repo (RESOURCE_UNKNOWN),
 * or in it but not started yet (NO_CONTAINER).
 */
export async function missingContainer(engine: Engine, name: string): Promise<OperationError> {
  const { stateRepo, branch } = engine.settings;
  const resources = await headResources(engine.git, stateRepo, branch).catch(() => []);
  const ids = resources
    .filter((r) => r.kind === 'App' || r.kind === 'Port')
    .map((r) => `${r.kind.toLowerCase()}/${r.metadata.name}`);
  const id = resolveWorkloadName(name, ids);
  if (!id) {
    return new OperationError('RESOURCE_UNKNOWN', `no App or Port named ${name} in the state repo`, { name });
  }
  return new OperationError(
    'NO_CONTAINER',
    `${id} has no container yet (has it been applied? see hiy status)`,
    {
      resource: id,
    },
  );
}

/** The running workload container of a resource; a clear OperationError when there is none. */
export async function runningContainer(engine: Engine, name: string): Promise<ContainerInfo> {
  const c = await findWorkloadContainer(engine, name);
  if (!c) throw await missingContainer(engine, name);
  if (c.state !== 'running') {
    throw new OperationError(
      'NOT_RUNNING',
      `${c.labels[LABEL_RESOURCE] ?? name} is not running (${c.state})`,
      {
        resource: c.labels[LABEL_RESOURCE],
        state: c.state,
      },
    );
  }
  return c;
}

/**
 * The resource's id and its last applied release (how its container runs: image, env, secrets, volumes).
 * Refused while an apply is upgrading the resource (its Reconciling condition is true).
 */
export async function currentRelease(
  engine: Engine,
  name: string,
): Promise<{ id: string; release: Release }> {
  const status = await engine.stores.status.read();
  const id = resolveWorkloadName(name, Object.keys(status.resources));
  if (!id) throw await missingContainer(engine, name);
  const reconciling = status.resources[id]?.conditions?.find((c) => c.type === 'Reconciling');
  if (reconciling?.status === 'True') {
    throw new OperationError(
      'UPGRADING',
      `${id} is being upgraded right now; try again when hiy status shows it Ready`,
      {
        resource: id,
      },
    );
  }
  const release = (await engine.stores.releases.list(id)).at(-1);
  if (!release)
    throw new OperationError('NO_CONTAINER', `${id} has no release yet (see hiy status)`, { resource: id });
  return { id, release };
}
