// A stop-first replace: stop the old container, snapshot its volumes, park it, start the new one; on failure
// the new one goes, the data comes back from the snapshots and the old one runs again.

import { LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_RESOURCE } from '../model/labels.js';
import type { ContainerReplace } from '../plan/types.js';
import {
  listSnapshots,
  pruneSnapshots,
  restoreSnapshot,
  type SnapshotManifest,
  takeSnapshot,
} from '../snapshots/snapshot.js';
import { ensureRunning } from './ensureRunning.js';
import { runCheckHook, runDumpHook, runMigrateSteps } from './hooks.js';
import { ensureSecrets } from './secrets.js';
import {
  ApplyError,
  awaitHealthy,
  explain,
  faultsOf,
  journal,
  networked,
  removeFailed,
  stepId,
} from './steps.js';
import type { ApplyDeps } from './types.js';

/** Snapshots kept per volume after a successful upgrade. */
export const SNAPSHOTS_KEPT = 5;

type ReplacePhase = 'stopping' | 'snapshotting' | 'parked' | 'healthy' | 'done';
/** Writes the replace's journal record at a phase (with its snapshots once taken). */
type RecordPhase = (phase: ReplacePhase, snaps?: SnapshotManifest[]) => Promise<void>;

/**
 * Snapshots each existing volume of a stopped container; any failure restarts the old one and aborts. The
 * volumes are at rest and independent, so their snapshots run at once: the downtime of a port with a small
 * state volume next to its data is that of the larger one (bench: port-upgrade-email), not their sum.
 */
async function snapshotVolumes(a: ContainerReplace, deps: ApplyDeps): Promise<SnapshotManifest[]> {
  const { dataDir } = deps;
  if (!dataDir) return [];
  // A volume this apply created is empty: nothing to keep.
  const existing = a.volumes.flatMap((name) => deps.volumes?.find((v) => v.name === name) ?? []);
  const settled = await Promise.allSettled(
    existing.map(async (info) => {
      deps.onEvent?.({ type: 'action.progress', action: a, message: `snapshot of ${info.name}` });
      const manifest = await takeSnapshot(
        { podman: deps.podman, dataDir, faults: faultsOf(deps) },
        {
          volume: info.name,
          mountpoint: info.mountpoint,
          resource: a.resource,
          // A forced replace (hiy restart) is no upgrade: its snapshots say what took them.
          reason: a.trigger ?? 'upgrade',
          stateCommit: deps.stateCommit,
          imageAfter: a.run.image,
          imageBefore: (a.before as { image?: string } | null)?.image,
          ...(a.dataVersion !== undefined && { dataVersion: a.dataVersion }),
        },
      );
      deps.onEvent?.({ type: 'snapshot.taken', action: a, manifest });
      return manifest;
    }),
  );
  // Every snapshot has finished (none is still being written) before a failure restarts the old container.
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<SnapshotManifest>).value);
}

/** `rollback --with-data`: puts the requested snapshots' data into the (stopped, just snapshotted) volumes. */
async function restoreRequested(a: ContainerReplace, deps: ApplyDeps): Promise<void> {
  if (!a.restoreData?.length) return;
  if (!deps.dataDir) throw new Error('restoring data needs the data directory');
  const snap = { podman: deps.podman, dataDir: deps.dataDir, faults: faultsOf(deps) };
  for (const r of a.restoreData) {
    const manifest = (await listSnapshots(snap, r.volume)).find((m) => m.id === r.snapshot);
    if (!manifest) throw new Error(`snapshot ${r.snapshot} of ${r.volume} no longer exists`);
    deps.onEvent?.({
      type: 'action.progress',
      action: a,
      message: `restoring ${r.volume} from snapshot ${r.snapshot}`,
    });
    // The current content was just snapshotted and verified (the rollback can itself be undone).
    await restoreSnapshot(snap, manifest, r.volume, { currentSaved: true });
  }
}

/** Runs the old container of a stop-first upgrade again, from whatever state a failed stop left it in. */
async function restartOld(a: ContainerReplace, deps: ApplyDeps): Promise<void> {
  const owner = [LABEL_MANAGED_BY, LABEL_INSTANCE, LABEL_RESOURCE];
  const labels = Object.fromEntries(Object.entries(a.run.labels).filter(([k]) => owner.includes(k)));
  const found = (await deps.podman.listContainers(labels)).find((c) => c.name === a.previous.name);
  if (!found) return;
  await ensureRunning(deps.podman, {
    name: found.name,
    state: found.state,
    stopTimeoutSeconds: a.previous.stopTimeoutSeconds,
  });
}

/**
 * Stops the old container and snapshots its volumes. Either failing changes nothing: the old one runs again
 * and the upgrade is aborted.
 */
async function stopAndSnapshot(
  a: ContainerReplace,
  deps: ApplyDeps,
  record: RecordPhase,
): Promise<SnapshotManifest[]> {
  const old = a.previous;
  await record('stopping');
  try {
    await faultsOf(deps).during('replace:stop', () =>
      deps.podman.stopContainer(old.name, old.stopTimeoutSeconds),
    );
  } catch (err) {
    // A stop that failed half-way (a timeout) can leave the old one `stopping`: finish it and run it again.
    await restartOld(a, deps).catch(() => undefined);
    await record('done');
    throw new ApplyError(
      `upgrade of ${a.resource} aborted before any change, the old version could not be stopped: ${explain(err)}`,
      { address: a.address },
      { cause: err },
    );
  }
  await record('snapshotting');
  try {
    return await snapshotVolumes(a, deps);
  } catch (err) {
    await deps.podman.startContainer(old.name).catch(() => undefined);
    await record('done');
    throw new ApplyError(
      `upgrade of ${a.resource} aborted before any change, the old version runs again: ${explain(err)}`,
      { address: a.address },
      { cause: err },
    );
  }
}

/**
 * The new version failed after the old one was parked: the new container goes, the volumes get the snapshots'
 * data back, the old container its name and runs again. Returns the error to throw, saying all that.
 */
async function rollBack(
  a: ContainerReplace,
  deps: ApplyDeps,
  failure: { err: unknown; parked: string; snapshots: SnapshotManifest[]; record: RecordPhase },
): Promise<ApplyError> {
  const { err, parked, snapshots } = failure;
  const restoreErrors: string[] = [];
  for (const s of snapshots) {
    try {
      await restoreSnapshot(
        { podman: deps.podman, dataDir: deps.dataDir!, faults: faultsOf(deps) },
        s,
        s.volume,
      );
    } catch (restoreErr) {
      restoreErrors.push(explain(restoreErr));
    }
  }
  await deps.podman.renameContainer(parked, a.previous.name);
  await deps.podman.startContainer(a.previous.name);
  await failure.record('done');
  const data = snapshots.length
    ? restoreErrors.length
      ? `; restoring its data FAILED (${restoreErrors.join('; ')}), snapshots kept: ${snapshots.map((s) => s.id).join(', ')}`
      : ` and the data of ${snapshots.map((s) => s.volume).join(', ')} as it was before`
    : '';
  return new ApplyError(
    `${a.resource}: the new version failed (${explain(err)}); rolled back to the previous container${data}`,
    { address: a.address, rolledBack: true },
    { cause: err },
  );
}

/**
 * Stop-first upgrade of a container that owns volumes or host ports: stop the old one (so its data is at
 * rest), snapshot and verify its volumes, park it under another name, start the new one. If the new one
 * fails its health check, it is removed, the data restored from the snapshots and the old one started again.
 */
export async function replaceStopFirst(
  planned: ContainerReplace,
  deps: ApplyDeps,
): Promise<string | undefined> {
  const old = planned.previous;
  // '_' never appears in a resource name, so the parked name cannot be another resource's container.
  const parked = `${planned.finalName}_prev`;
  await ensureSecrets(planned, deps); // before anything stops: a missing or changed secret changes nothing
  const a = await networked(planned, deps);
  // So does a failing check of the new configuration (after the migration when the data version goes up).
  if (!a.migrate) await runCheckHook(a, deps);
  await runDumpHook(a, deps); // so what the snapshot takes is consistent; a failure changes nothing
  // A parked container a killed run left behind goes while the old one still serves, not during the downtime.
  await deps.podman.removeContainer(parked, 0);
  const id = stepId(deps, `replace:${a.finalName}`);
  const record: RecordPhase = (phase, snaps) =>
    journal(deps, {
      id,
      kind: 'replace',
      final: a.finalName,
      parked,
      phase,
      ...(snaps && { snapshots: snaps.map((m) => ({ volume: m.volume, id: m.id })) }),
    });
  const snapshots = await stopAndSnapshot(a, deps, record);
  await record('parked', snapshots);
  await faultsOf(deps).during('replace:rename', () => deps.podman.renameContainer(old.name, parked));
  let started = false;
  try {
    await restoreRequested(a, deps);
    if (a.migrate) {
      await runMigrateSteps(a, deps);
      await runCheckHook(a, deps);
    }
    await faultsOf(deps).during('replace:run', () => deps.podman.runContainer(a.run));
    started = true;
    faultsOf(deps).point('replace:started');
    await awaitHealthy(a, deps);
  } catch (caught) {
    const err = started ? await removeFailed(a, deps, caught) : caught;
    if (!started) await deps.podman.removeContainer(a.run.name, 0).catch(() => undefined);
    throw await rollBack(a, deps, { err, parked, snapshots, record });
  }
  await record('healthy', snapshots);
  await deps.keepLogs?.({ resource: a.resource, id: old.id, name: old.name, reason: 'replaced' });
  await faultsOf(deps).during('replace:rm', () => deps.podman.removeContainer(parked, 0));
  await record('done');
  // Retention runs only after a successful upgrade: a failed one never costs an older snapshot.
  for (const s of snapshots) {
    await pruneSnapshots(
      { podman: deps.podman, dataDir: deps.dataDir! },
      s.volume,
      a.keepSnapshots ?? SNAPSHOTS_KEPT,
    );
  }
  return snapshots.length ? `healthy; snapshots ${snapshots.map((s) => s.id).join(', ')}` : undefined;
}
