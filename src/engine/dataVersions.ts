// Data versions in the plan (docs/ports.md): same version, a plain upgrade; higher, migrate steps after a
// verified snapshot; lower, refused with the release and snapshot that hold data of that version.
import { diagnosticAt } from '../desired/crossCheck.js';
import type { DesiredState } from '../desired/types.js';
import { type Diagnostic, StateRepoInvalidError } from '../model/diagnostics.js';
import { resourceId } from '../model/names.js';
import type { DesiredWorkload } from '../model/workload.js';
import type { PlanRequest } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { listSnapshots } from '../snapshots/snapshot.js';
import type { Release } from '../store/releases.js';
import type { Engine } from './context.js';

export interface DataVersionInput {
  stateRepo: DesiredState;
  /** The workloads the plan deploys (pins swapped in). */
  desired: DesiredState;
  plan: Plan;
  /** What the plan was asked for: a rollback with data judges the restored snapshots' version. */
  request?: PlanRequest;
}

const title = (w: DesiredWorkload) => `port ${w.port!.name} ${w.port!.version}`;

/** Where a downgrade's data is: the newest release of that data version and the snapshots taken leaving it. */
export function downgradeHint(w: DesiredWorkload, releases: Release[], version: number): string {
  const holder = [...releases].reverse().find((r) => r.workload?.port?.dataVersion === version);
  if (!holder) return `no release of ${w.id} ran data version ${version}, so no snapshot holds such data`;
  const next = releases.find((r) => r.number === holder.number + 1);
  const snaps = next?.snapshots.length ? ` (snapshot ${next.snapshots.join(', ')})` : '';
  return `release ${holder.number} (${holder.image}) holds data of version ${version}${snaps}: hiy rollback ${w.name} --to ${holder.number} --with-data`;
}

/** The way out of a higher data version without migrate: stay on an image of the data's version, or get one that migrates. */
export function noMigrateHint(w: DesiredWorkload, releases: Release[], from: number, to: number): string {
  const holder = [...releases].reverse().find((r) => r.workload?.port?.dataVersion === from);
  const stay = holder
    ? `keep spec.image at ${holder.image} (release ${holder.number}, data version ${from})`
    : `keep an image of data version ${from}`;
  return `${stay}, or use an image of port ${w.port!.name} that ships a migrate hook from data version ${from} to ${to}`;
}

/**
 * The data versions each volume holds (data-versions.json), as the planner takes them (PlanHistory.dataVersions):
 * a port's replace carries its dump and migrate steps from the plan itself.
 */
export async function readDataVersions(engine: Engine): Promise<Record<string, number>> {
  const recorded = await engine.stores.dataVersions.read();
  return Object.fromEntries(Object.entries(recorded).map(([volume, r]) => [volume, r.version]));
}

/** The data version the given snapshots hold (their manifests'), for a rollback with data's plan request. */
export async function restoredDataVersion(
  engine: Engine,
  restore: readonly { volume: string; snapshot: string }[],
): Promise<number | undefined> {
  const snap = { podman: engine.podman, dataDir: engine.settings.dataDir };
  const restored = await Promise.all(
    restore.map(async (r) => (await listSnapshots(snap, r.volume)).find((m) => m.id === r.snapshot)),
  );
  const versions = restored.flatMap((m) => m?.dataVersion ?? []);
  return versions.length ? Math.max(...versions) : undefined;
}

/**
 * Checks each declared port's data version against the version its data holds (the volumes', or the snapshots a
 * rollback with data restores): a downgrade, or a higher version without a migrate hook or without a container to
 * replace, is a StateRepoInvalidError at the resource's spec.image, with where the data of that version is.
 * Reads the plan, never edits it: the planner made the dump and migrate steps.
 */
export async function checkDataVersions(engine: Engine, input: DataVersionInput): Promise<void> {
  const recorded = await engine.stores.dataVersions.read();
  const diagnostics: Diagnostic[] = [];
  for (const w of input.desired.workloads) {
    if (!w.port) continue;
    const action = input.plan.actions.find(
      (a) => a.resource === w.id && (a.kind === 'container.replace' || a.kind === 'container.create'),
    );
    const held = w.volumes.flatMap((v) => recorded[v.volumeName]?.version ?? []);
    if (held.length === 0 || !action) continue;
    const replace = action.kind === 'container.replace' ? action : undefined;
    const restore = input.request?.restore?.[w.id];
    const from =
      replace && restore?.data.length ? (restore.dataVersion ?? Math.max(...held)) : Math.max(...held);
    const to = w.port.dataVersion;
    if (to === from) continue;
    const problem =
      to < from
        ? `${title(w)} keeps data of version ${to}, but the data of ${w.id} is at version ${from}: a downgrade is refused`
        : !w.port.hooks.migrate
          ? `${title(w)} keeps data of version ${to}, the data of ${w.id} is at version ${from}, and the port has no migrate hook: refused`
          : !replace
            ? `${title(w)} would migrate the data of ${w.id} from version ${from} to ${to}, but no container runs it: deploy the previous version first`
            : undefined;
    if (!problem) continue;
    const releases = await engine.stores.releases.list(w.id);
    const detail =
      to < from
        ? downgradeHint(w, releases, to)
        : !w.port.hooks.migrate
          ? noMigrateHint(w, releases, from, to)
          : undefined;
    const lr = input.stateRepo.resources.find(
      (r) => resourceId(r.resource.kind, r.resource.metadata.name) === w.id,
    );
    diagnostics.push(
      diagnosticAt(lr, 'spec.image', { summary: problem, resource: w.id, ...(detail && { detail }) }),
    );
  }
  if (diagnostics.length > 0) throw new StateRepoInvalidError(diagnostics);
}
