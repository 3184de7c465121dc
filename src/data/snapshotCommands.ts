// The snapshot commands: `hiy snapshot list|create|restore`, every mutation under the apply lock (volumes: volumeCommands.ts).

import { resolveWorkloadName } from '../access/targets.js';
import { waitHealthy } from '../apply/health.js';
import { maskSecrets, outputTail } from '../apply/hooks.js';
import { type Engine, withApplyLock } from '../engine/engine.js';
import type { ContainerInfo, VolumeInfo } from '../model/containers.js';
import { errorMessage, HiyError } from '../model/errors.js';
import { LABEL_RESOURCE, ownershipLabels, stopTimeoutOf } from '../model/labels.js';
import { execHookArgv, hookTimeoutMs } from '../model/portContract.js';
import { observe } from '../observed/observe.js';
import {
  listSnapshots,
  restoreSnapshot,
  type SnapshotManifest,
  type SnapshotReason,
  takeSnapshot,
  verifySnapshot,
} from '../snapshots/snapshot.js';

/** A data command that cannot be done as asked; nothing was changed. */
export class DataCommandError extends HiyError {
  constructor(message: string) {
    super('DATA_COMMAND_REFUSED', message);
    this.name = 'DataCommandError';
  }
}

export function snapDeps(engine: Engine) {
  return { podman: engine.podman, dataDir: engine.settings.dataDir, faults: engine.stores.journal.faults };
}

/** `greeter`, `port/greeter` or a volume name → does this manifest match? */
function matches(m: SnapshotManifest, name: string): boolean {
  if (m.volume === name || m.resource === name) return true;
  return !name.includes('/') && (m.resource === `port/${name}` || m.resource === `app/${name}`);
}

/** Snapshots, newest first; of one resource or volume when `name` is given. */
export async function snapshotsOf(engine: Engine, name?: string): Promise<SnapshotManifest[]> {
  const all = await listSnapshots(snapDeps(engine));
  return name ? all.filter((m) => matches(m, name)) : all;
}

/**
 * Finds one snapshot by its exact id or `VOLUME/ID`; never by a prefix of what was typed. With `owner`, only
 * that resource's snapshots are candidates, so a reply never tells whether an id of another resource exists.
 * Refusals name only what the caller typed.
 */
export async function findSnapshot(engine: Engine, ref: string, owner?: string): Promise<SnapshotManifest> {
  const all = await listSnapshots(snapDeps(engine));
  const [volume, id] = ref.includes('/') ? ref.split('/', 2) : [undefined, ref];
  const found = all.filter(
    (m) => (!volume || m.volume === volume) && m.id === id && (!owner || m.resource === owner),
  );
  if (found.length === 1) return found[0]!;
  const whose = owner ? ` of ${owner}` : '';
  if (found.length === 0)
    throw new DataCommandError(`no snapshot ${ref}${whose}; hiy snapshot list shows the exact ids`);
  throw new DataCommandError(
    `${ref} names ${found.length} snapshots${whose} (of different volumes); give VOLUME/ID`,
  );
}

/** The instance's volumes and containers, observed in the usual constant number of calls. */
export async function observeData(
  engine: Engine,
): Promise<{ volumes: VolumeInfo[]; containers: ContainerInfo[] }> {
  const observed = await observe({
    podman: engine.podman,
    caddy: engine.caddy,
    instance: engine.settings.instance,
  });
  return { volumes: observed.volumes, containers: observed.containers };
}

function resourceOf(name: string, volumes: VolumeInfo[], containers: ContainerInfo[]): string {
  const ids = new Set(
    [...volumes, ...containers].map((o) => o.labels[LABEL_RESOURCE] ?? '').filter((id) => id !== ''),
  );
  const id = resolveWorkloadName(name, ids);
  if (id) return id;
  throw new DataCommandError(`HIY manages no resource named ${name} on this box`);
}

function isRunning(c: ContainerInfo): boolean {
  return c.state === 'running';
}

/**
 * Waits until the containers started again pass the health check of their resource's last release, so the
 * command returns when the resource serves again (a database takes seconds to accept connections after a start).
 */
async function awaitHealthyAgain(
  engine: Engine,
  started: ContainerInfo[],
  onStep?: (message: string) => void,
): Promise<void> {
  for (const c of started) {
    const release = (await engine.stores.releases.list(c.labels[LABEL_RESOURCE] ?? '')).at(-1);
    const hc = release?.workload?.healthcheck;
    if (!release || !hc) continue;
    onStep?.(`waiting for ${c.name} to pass its health check`);
    await waitHealthy(
      hc,
      { ...release.run, name: c.name },
      { podman: engine.podman, prober: engine.prober },
    ).catch((err: unknown) => {
      throw new DataCommandError(`${c.name} was started again but is not healthy: ${errorMessage(err)}`);
    });
  }
}

/**
 * Runs `fn` with the resource's running containers stopped (so its volumes are at rest), then starts them
 * again, whatever happened; when `fn` succeeded, returns once they pass their health checks again.
 */
async function withStopped<T>(
  engine: Engine,
  containers: ContainerInfo[],
  fn: () => Promise<T>,
  onStep?: (message: string) => void,
): Promise<T> {
  const running = containers.filter(isRunning);
  const { journal } = engine.stores;
  const id = journal.nextId('stopped');
  if (running.length > 0)
    await journal.write({ id, kind: 'stopped', containers: running.map((c) => c.name), phase: 'stopped' });
  for (const c of running) {
    onStep?.(`stopping ${c.name} so its data is at rest`);
    await journal.faults.during('stopped:stop', () =>
      engine.podman.stopContainer(c.name, stopTimeoutOf(c.labels)),
    );
  }
  let result: T;
  try {
    result = await fn();
  } finally {
    for (const c of running) {
      onStep?.(`starting ${c.name} again`);
      await engine.podman.startContainer(c.name);
    }
    if (running.length > 0) await journal.write({ id, kind: 'stopped', containers: [], phase: 'done' });
  }
  await awaitHealthyAgain(engine, running, onStep);
  return result;
}

/**
 * `hiy snapshot create NAME`: a verified snapshot of each volume of a resource, its writer briefly stopped.
 * `reason` is `scheduled` when hiy daemon takes it on `spec.snapshots.schedule`. `afterTaken` is called with
 * the snapshots as soon as they are recorded, before the containers are started again (a backup begins its
 * upload there, overlapping the restart and the health wait); it must not throw.
 */
export async function createSnapshots(
  engine: Engine,
  name: string,
  onStep?: (message: string) => void,
  reason: SnapshotReason = 'manual',
  afterTaken?: (taken: SnapshotManifest[]) => void,
): Promise<SnapshotManifest[]> {
  return withApplyLock(engine, async () => {
    const { volumes, containers } = await observeData(engine);
    const id = resourceOf(name, volumes, containers);
    const own = volumes.filter((v) => v.labels[LABEL_RESOURCE] === id);
    if (own.length === 0) throw new DataCommandError(`${id} has no volumes to snapshot`);
    const mine = containers.filter((c) => c.labels[LABEL_RESOURCE] === id);
    const stateCommit = (await engine.stores.status.read()).resources[id]?.lastAppliedCommit;
    // A declared port's dump hook runs in its running container first, so the data at rest is consistent.
    const workload = (await engine.stores.releases.list(id)).at(-1)?.workload;
    const port = workload?.port;
    const dataVersions = await engine.stores.dataVersions.read();
    if (port?.hooks.dump) {
      for (const c of mine.filter((c) => c.state === 'running')) {
        onStep?.(`dump hook of port ${port.name} ${port.version} in ${c.name}`);
        const command = execHookArgv('dump', id.split('/')[1]!, port.hooks.dump);
        const r = await engine.podman.exec(c.name, command, hookTimeoutMs(port.hooks));
        if (r.exitCode !== 0) {
          const refs = Object.values(workload?.secretEnv ?? {});
          const output = await maskSecrets(r.output, refs, engine.stores.secrets);
          throw new DataCommandError(
            `the dump hook of port ${port.name} ${port.version} failed in ${c.name} (exit ${r.exitCode}); no snapshot was taken${outputTail(output)}`,
          );
        }
      }
    }
    return withStopped(
      engine,
      mine,
      async () => {
        const taken: SnapshotManifest[] = [];
        for (const v of own) {
          onStep?.(`snapshot of ${v.name}`);
          taken.push(
            await takeSnapshot(snapDeps(engine), {
              volume: v.name,
              mountpoint: v.mountpoint,
              resource: id,
              reason,
              ...(stateCommit && { stateCommit }),
              imageBefore: mine[0]?.image,
              ...(dataVersions[v.name] && { dataVersion: dataVersions[v.name]!.version }),
            }),
          );
        }
        afterTaken?.(taken);
        return taken;
      },
      onStep,
    );
  });
}

export interface RestoreOutcome {
  snapshot: SnapshotManifest;
  volume: string;
  created: boolean;
  files: number;
  /** The snapshot of what the volume held before (restore can itself be undone). */
  preRestore?: SnapshotManifest;
  restarted: string[];
}

/**
 * `hiy snapshot restore SNAPSHOT [--to-volume V]`: puts a snapshot's data back into its volume (the containers
 * of its resource stopped meanwhile, the current content snapshotted first), or into another volume — created
 * when missing, refused when it belongs to another resource or to nobody and holds data. With `owner` (the
 * resource the caller is authorized on), a snapshot or volume of any other resource is refused before anything
 * changes.
 */
export async function restoreFromSnapshot(
  engine: Engine,
  ref: string,
  toVolume: string | undefined,
  onStep?: (message: string) => void,
  owner?: string,
): Promise<RestoreOutcome> {
  return withApplyLock(engine, async () => {
    // Resolved to exactly one snapshot (of `owner`, when the caller was authorized on that resource only)
    // before anything is verified, created, stopped or written.
    const snapshot = await findSnapshot(engine, ref, owner);
    // Verified before anything changes: a snapshot that fails verification creates no volume, stops no
    // container and leaves nothing in the journal for the next run to "recover".
    onStep?.(`verifying ${snapshot.volume}/${snapshot.id}`);
    await verifySnapshot(snapDeps(engine), snapshot);
    const target = toVolume ?? snapshot.volume;
    const { volumes, containers } = await observeData(engine);
    const all = await engine.podman.listVolumes({});
    const existing = all.find((v) => v.name === target);
    const ours = volumes.find((v) => v.name === target);
    if (owner && ours && ours.labels[LABEL_RESOURCE] !== owner) {
      throw new DataCommandError(`${target} is not a volume of ${owner}; nothing was changed`);
    }
    let created = false;
    if (!existing) {
      // The original volume (removed since) comes back owned by HIY; another name is a plain volume to inspect.
      const labels =
        target === snapshot.volume
          ? { ...ownershipLabels(engine.settings.instance), [LABEL_RESOURCE]: snapshot.resource }
          : {};
      onStep?.(`creating volume ${target}`);
      await engine.podman.createVolume(target, labels);
      created = true;
    } else if (!ours) {
      throw new DataCommandError(
        `${target} is not a volume of this HIY instance; restore into a new volume name instead`,
      );
    }
    const resource = ours?.labels[LABEL_RESOURCE];
    const users = resource ? containers.filter((c) => c.labels[LABEL_RESOURCE] === resource) : [];
    const restarted = users.filter(isRunning).map((c) => c.name);
    const result = await withStopped(
      engine,
      users,
      async () => {
        onStep?.(`restoring ${snapshot.volume}/${snapshot.id} into ${target}`);
        const { journal } = engine.stores;
        const step = {
          id: journal.nextId('restore'),
          kind: 'restore' as const,
          from: snapshot.volume,
          snapshot: snapshot.id,
          volume: target,
        };
        const progress = { replacing: false };
        await journal.write({ ...step, phase: 'saving' });
        try {
          const result = await restoreSnapshot(snapDeps(engine), snapshot, target, {
            verified: true,
            beforeReplace: async () => {
              progress.replacing = true;
              await journal.write({ ...step, phase: 'replacing' });
            },
          });
          await journal.write({ ...step, phase: 'done' });
          return result;
        } catch (err) {
          // Failed before the volume was touched: nothing to recover. Once its content was being replaced, the
          // step stays open and the next run finishes it (the previous content is in the pre-restore snapshot).
          if (!progress.replacing) await journal.write({ ...step, phase: 'done' });
          throw err;
        }
      },
      onStep,
    );
    return {
      snapshot,
      volume: target,
      created,
      files: result.files,
      ...(result.preRestore && { preRestore: result.preRestore }),
      restarted,
    };
  });
}
