// The volume commands: `hiy volume ls|rm`; a volume is removed only under the apply lock, after a verified final snapshot.
import { type Engine, viewDesired, withApplyLock } from '../engine/engine.js';
import { LABEL_RESOURCE } from '../model/labels.js';
import { listSnapshots, type SnapshotManifest, takeSnapshot } from '../snapshots/snapshot.js';
import { DataCommandError, observeData, snapDeps } from './snapshotCommands.js';

export interface VolumeView {
  name: string;
  resource: string;
  /** Declared by a resource of the state repo (false: retained after its resource was removed). */
  declared: boolean;
  /** Containers of this instance using it. */
  usedBy: string[];
  snapshots: number;
  latestSnapshot?: string;
}

/** `hiy volume ls`: the instance's volumes, whether the state repo still declares them, and their snapshots. */
export async function volumeViews(
  engine: Engine,
): Promise<{ volumes: VolumeView[]; stateRepoValid: boolean }> {
  const [{ volumes, containers }, snaps] = await Promise.all([
    observeData(engine),
    listSnapshots(snapDeps(engine)),
  ]);
  // The effective state: a Port's declared volumes are its own even when its spec names none.
  const desired = await viewDesired(engine, containers);
  const declared = new Set(desired.state?.workloads.flatMap((w) => w.volumes.map((v) => v.volumeName)) ?? []);
  const views = volumes
    .map((v) => {
      const resource = v.labels[LABEL_RESOURCE] ?? '';
      const own = snaps.filter((m) => m.volume === v.name);
      return {
        name: v.name,
        resource,
        declared: declared.has(v.name),
        usedBy: containers.filter((c) => c.labels[LABEL_RESOURCE] === resource).map((c) => c.name),
        snapshots: own.length,
        ...(own[0] && { latestSnapshot: own[0].id }),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { volumes: views, stateRepoValid: desired.state !== undefined };
}

/**
 * `hiy volume rm VOLUME --confirm VOLUME`: deletes a retained volume after a verified final snapshot. Refused
 * while the state repo declares it (the next apply would recreate it empty) or a container of its resource
 * exists, and when the confirmation is not the volume's exact name.
 */
export async function removeVolume(
  engine: Engine,
  name: string,
  confirm: string | undefined,
  onStep?: (message: string) => void,
): Promise<SnapshotManifest> {
  if (confirm !== name) {
    throw new DataCommandError(
      `deleting ${name} deletes its data: confirm with --confirm ${name} (a final snapshot is taken first)`,
    );
  }
  return withApplyLock(engine, async () => {
    const { volumes, containers } = await observeData(engine);
    const desired = await viewDesired(engine, containers);
    const volume = volumes.find((v) => v.name === name);
    if (!volume) throw new DataCommandError(`${name} is not a volume of this HIY instance`);
    if (!desired.state) {
      throw new DataCommandError(
        'the state repo has errors (hiy validate): cannot tell whether it still declares this volume',
      );
    }
    const owner = desired.state.workloads.find((w) => w.volumes.some((v) => v.volumeName === name));
    if (owner) {
      throw new DataCommandError(
        `${owner.id} in the state repo still declares ${name}; remove it from the state repo and apply first`,
      );
    }
    const resource = volume.labels[LABEL_RESOURCE] ?? '';
    // Its resource still in the state repo (a volume its image declares, say): removing the container would not do.
    if (resource && desired.state.workloads.some((w) => w.id === resource)) {
      throw new DataCommandError(
        `${resource}, whose volume ${name} is, still exists in the state repo; remove it from the state repo and apply first`,
      );
    }
    const users = containers.filter((c) => resource && c.labels[LABEL_RESOURCE] === resource);
    if (users.length > 0) {
      throw new DataCommandError(
        `${users.map((c) => c.name).join(', ')} still exists; apply the removal first`,
      );
    }
    onStep?.(`final snapshot of ${name}`);
    const final = await takeSnapshot(snapDeps(engine), {
      volume: name,
      mountpoint: volume.mountpoint,
      resource,
      reason: 'pre-delete',
    });
    onStep?.(`removing ${name}`);
    await engine.podman.removeVolume(name);
    return final;
  });
}
