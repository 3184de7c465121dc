// What the container steps of an apply share: the error, journal records, networks, health gates, messages.
import { PodmanError } from '../drivers/podman/types.js';
import type { RunSpec } from '../model/containers.js';
import { HiyError } from '../model/errors.js';
import type { Action, ContainerCreate, ContainerReplace, ContainerStart } from '../plan/types.js';
import { type Faults, noFaults } from '../store/faults.js';
import type { JournalEntry } from '../store/journal.js';
import { HealthCheckError, waitHealthy } from './health.js';
import { withNetworks } from './network.js';
import type { ApplyDeps } from './types.js';

export class ApplyError extends HiyError<{ address: string; rolledBack?: boolean }> {
  constructor(
    message: string,
    data: { address: string; rolledBack?: boolean },
    options?: { cause?: unknown },
  ) {
    super('APPLY_FAILED', message, { data, ...options });
    this.name = 'ApplyError';
  }
}

/** One action kind's step: resolves to a note for humans (or nothing). */
export type Handler<K extends Action['kind']> = (
  action: Extract<Action, { kind: K }>,
  deps: ApplyDeps,
) => Promise<string | undefined>;

/**
 * The run spec each container was started with, networks included (withNetworks), by the plan's action: the plan
 * is never edited, and the result carries it to the release (one-offs join the same networks).
 */
const startedRuns = new WeakMap<Action, RunSpec>();

/** The action with its container's networks, remembered for its result. */
export async function networked<A extends ContainerCreate | ContainerReplace>(
  planned: A,
  deps: ApplyDeps,
): Promise<A> {
  const a = await withNetworks(planned, deps);
  if (a !== planned) startedRuns.set(planned, a.run);
  return a;
}

/** The run spec the action's container was started with, when its networks changed it. */
export function startedRun(action: Action): RunSpec | undefined {
  return startedRuns.get(action);
}

/** The crash tests' points of this apply: the journal's (none without a journal). */
export function faultsOf(deps: ApplyDeps): Faults {
  return deps.journal?.faults ?? noFaults;
}

export function journal(deps: ApplyDeps, entry: JournalEntry): Promise<void> {
  return deps.journal ? deps.journal.write(entry) : Promise.resolve();
}

export function stepId(deps: ApplyDeps, prefix: string): string {
  return deps.journal ? deps.journal.nextId(prefix) : prefix;
}

/** Runs a new container; a crash before it is proven leaves a record that has recovery remove it. */
export async function runJournaled(
  deps: ApplyDeps,
  spec: ContainerCreate['run'],
  prove: () => Promise<string | undefined>,
): Promise<string | undefined> {
  const id = stepId(deps, `run:${spec.name}`);
  await journal(deps, { id, kind: 'run', name: spec.name, phase: 'running' });
  await faultsOf(deps).during('run:run', () => deps.podman.runContainer(spec));
  const note = await prove();
  await journal(deps, { id, kind: 'run', name: spec.name, phase: 'done' });
  return note;
}

/**
 * Removes the new container of a replace that did not become healthy, its output kept first (`hiy logs NAME
 * --previous` shows why it failed); returns the error, its message pointing there when the output was kept.
 */
export async function removeFailed(a: ContainerReplace, deps: ApplyDeps, err: unknown): Promise<unknown> {
  const kept = await deps.keepLogs?.({
    resource: a.resource,
    id: a.run.name,
    name: a.run.name,
    reason: 'failed',
  });
  await deps.podman.removeContainer(a.run.name, 0).catch(() => undefined);
  if (!kept || !(err instanceof HealthCheckError)) return err;
  const name = a.resource.split('/')[1];
  return new HealthCheckError(`${err.message} (its output: hiy logs ${name} --previous)`, err.data);
}

/** Waits for a started container's health check, when it has one; the note says it was checked. */
export async function awaitHealthy(
  a: ContainerCreate | ContainerReplace | ContainerStart,
  deps: ApplyDeps,
): Promise<string | undefined> {
  if (!a.healthcheck) return undefined;
  deps.onEvent?.({ type: 'action.progress', action: a, message: 'waiting for the health check' });
  await waitHealthy(a.healthcheck, a.run, deps);
  return 'healthy';
}

/** The error's message, with a hint for the failures users can fix themselves. */
export function explain(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Podman says so only in its stderr: the one place a failure is recognised by text (the tool's, not ours).
  if (err instanceof PodmanError && /address already in use/.test(err.data.stderr ?? '')) {
    return `${message} (a process outside HIY holds this port: free it, or give HIY another range with HIY_UPSTREAM_PORTS)`;
  }
  return message;
}
