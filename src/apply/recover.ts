// Crash recovery: finishes or undoes the steps an interrupted run left open in the journal, so the next plan
// starts from a box where every container is either the old version running or the new one proven.
import type { ContainerInfo, PodmanDriver } from '../drivers/podman/types.js';
import { ownershipLabels } from '../model/labels.js';
import { discardIncomplete, listSnapshots, restoreSnapshot } from '../snapshots/snapshot.js';
import type { Journal, JournalEntry } from '../store/journal.js';
import { ensureRunning, removeFromAnyState, stopTimeoutOf } from './ensureRunning.js';

export interface RecoverDeps {
  podman: PodmanDriver;
  dataDir: string;
  instance: string;
  journal: Journal;
}

/** What recovery did, one line per step, for logs and the CLI. */
export interface Recovery {
  steps: string[];
  discardedSnapshots: string[];
}

type Find = (name: string) => ContainerInfo | undefined;

/** Removes a container as observed (at once: it is unproven or already replaced), whatever its state. */
async function remove(podman: PodmanDriver, find: Find, name: string): Promise<void> {
  const c = find(name);
  if (c) await removeFromAnyState(podman, { name, state: c.state, stopTimeoutSeconds: 0 });
}

/** ensureRunning for a container as observed; undefined when it is absent or running. */
async function bringBack(podman: PodmanDriver, find: Find, name: string): Promise<string | undefined> {
  const c = find(name);
  if (!c) return undefined;
  return ensureRunning(podman, { name, state: c.state, stopTimeoutSeconds: stopTimeoutOf(c) });
}

async function recoverStep(deps: RecoverDeps, e: JournalEntry, find: Find): Promise<string> {
  const { podman } = deps;
  switch (e.kind) {
    case 'run':
      // Created but never proven: remove it; the next plan creates it again.
      await remove(podman, find, e.name);
      return `removed ${e.name}, left half-created or unproven`;
    case 'replace': {
      if (e.phase === 'stopping' || e.phase === 'snapshotting') {
        const how = await bringBack(podman, find, e.final);
        return `upgrade of ${e.final} interrupted before any change${how ? `; ${how} the old version again` : ''}`;
      }
      if (e.phase === 'healthy') {
        await remove(podman, find, e.parked);
        return `upgrade of ${e.final} had succeeded; removed the parked old container ${e.parked}`;
      }
      // parked: the new one was being started or checked. Undo: remove it, put the data back, restart the old.
      const parked = find(e.parked);
      if (!parked) {
        // Parking is a rename: without a parked container the rename never happened and the old one is `final`.
        const how = await bringBack(podman, find, e.final);
        return `upgrade of ${e.final} interrupted before the old version was parked${how ? `; ${how} it again` : ''}`;
      }
      await remove(podman, find, e.final);
      const restored: string[] = [];
      for (const s of e.snapshots ?? []) {
        const manifest = (await listSnapshots(deps, s.volume)).find((m) => m.id === s.id);
        if (!manifest) throw new Error(`snapshot ${s.volume}/${s.id} of the interrupted upgrade is missing`);
        await restoreSnapshot(deps, manifest, s.volume);
        restored.push(s.volume);
      }
      await podman.renameContainer(e.parked, e.final);
      await ensureRunning(podman, {
        name: e.final,
        state: parked.state,
        stopTimeoutSeconds: stopTimeoutOf(parked),
      });
      return `undid the interrupted upgrade of ${e.final}: the old version runs again${restored.length ? ` with the data of ${restored.join(', ')} as it was before` : ''}`;
    }
    case 'switch': {
      if (e.phase === 'routed') {
        // Caddy already sends traffic to the new container: finish the retire.
        if (find(e.old) && find(e.next)) await remove(podman, find, e.old);
        if (find(e.next)) await podman.renameContainer(e.next, e.final);
        return `finished the switch of ${e.final} to its new container`;
      }
      await remove(podman, find, e.next);
      return `removed ${e.next}: the switch to it never happened`;
    }
    case 'restore':
      if (e.phase === 'saving')
        return `restore of ${e.snapshot} into ${e.volume} never started; the volume is unchanged`;
      {
        const manifest = (await listSnapshots(deps, e.from)).find((m) => m.id === e.snapshot);
        if (!manifest) throw new Error(`snapshot ${e.snapshot} being restored into ${e.volume} is missing`);
        // The previous content is in the pre-restore snapshot already: finish the restore.
        await restoreSnapshot(deps, manifest, e.volume, { currentSaved: true });
        return `finished the interrupted restore of ${e.snapshot} into ${e.volume}`;
      }
    case 'stopped': {
      const started: string[] = [];
      for (const name of e.containers) {
        const how = await bringBack(podman, find, name);
        if (how) started.push(`${how} ${name}`);
      }
      return started.length ? `${started.join(', ')} again (stopped for a snapshot)` : 'nothing to restart';
    }
  }
}

/**
 * Recovers from an interrupted run. Call it holding the apply lock, before observing. Costs no Podman call when
 * the journal is empty. Steps are recovered newest first; the journal is cleared once all succeeded.
 */
export async function recover(deps: RecoverDeps): Promise<Recovery> {
  const open = await deps.journal.open();
  const steps: string[] = [];
  if (open.length > 0) {
    const containers = await deps.podman.listContainers(ownershipLabels(deps.instance));
    let known = new Map(containers.map((c) => [c.name, c]));
    for (const e of open.reverse()) {
      steps.push(await recoverStep(deps, e, (n) => known.get(n)));
      known = new Map(
        (await deps.podman.listContainers(ownershipLabels(deps.instance))).map((c) => [c.name, c]),
      );
    }
  }
  // Snapshot directories without a manifest are leftovers of a snapshot cut short.
  const discardedSnapshots = await discardIncomplete(deps);
  await deps.journal.clear();
  return { steps, discardedSnapshots };
}
