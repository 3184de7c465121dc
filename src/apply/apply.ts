// Executes a Plan step by step: one handler per action kind, phases in order, one Caddy load for all routes.
import {
  mergeOwned,
  ownedServerNames,
  renderProxy,
  tlsPolicyId,
  validateConfig,
  validateOwned,
} from '../drivers/caddy/render.js';
import type { CaddyConfig } from '../drivers/caddy/types.js';
import { PodmanError } from '../drivers/podman/types.js';
import type { RunSpec } from '../model/containers.js';
import { HiyError } from '../model/errors.js';
import { LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_RESOURCE } from '../model/labels.js';
import type { Action, ContainerCreate, ContainerReplace, ContainerStart, Plan } from '../plan/types.js';
import {
  listSnapshots,
  pruneSnapshots,
  restoreSnapshot,
  type SnapshotManifest,
  takeSnapshot,
} from '../snapshots/snapshot.js';
import { crashDuring, crashPoint, type JournalEntry } from '../store/journal.js';
import { buildImage, takeBuiltStages } from './build.js';
import { pruneBuildStages } from './buildStages.js';
import { reloadCertificate } from './certificates.js';
import { ensureRunning, removeFromAnyState } from './ensureRunning.js';
import { HealthCheckError, waitHealthy } from './health.js';
import { runCheckHook, runDumpHook, runMigrateSteps } from './hooks.js';
import { withNetworks } from './network.js';
import { ensureSecrets, planTouchesSecrets, pruneSecrets } from './secrets.js';
import type { ActionResult, ApplyDeps, ApplyResult } from './types.js';

/** Snapshots kept per volume after a successful upgrade. */
export const SNAPSHOTS_KEPT = 5;

export type { ActionResult, ApplyDeps, ApplyResult, ExportCommit } from './types.js';

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

/**
 * The run spec each container was started with, networks included (withNetworks), by the plan's action: the plan
 * is never edited, and the result carries it to the release (one-offs join the same networks).
 */
const startedRuns = new WeakMap<Action, RunSpec>();

/** The action with its container's networks, remembered for its result. */
async function networked<A extends ContainerCreate | ContainerReplace>(
  planned: A,
  deps: ApplyDeps,
): Promise<A> {
  const a = await withNetworks(planned, deps);
  if (a !== planned) startedRuns.set(planned, a.run);
  return a;
}

type Handler<K extends Action['kind']> = (
  action: Extract<Action, { kind: K }>,
  deps: ApplyDeps,
) => Promise<string | undefined>;

function journal(deps: ApplyDeps, entry: JournalEntry): Promise<void> {
  return deps.journal ? deps.journal.write(entry) : Promise.resolve();
}

function stepId(deps: ApplyDeps, prefix: string): string {
  return deps.journal ? deps.journal.nextId(prefix) : prefix;
}

/** Runs a new container; a crash before it is proven leaves a record that has recovery remove it. */
async function runJournaled(
  deps: ApplyDeps,
  spec: ContainerCreate['run'],
  prove: () => Promise<string | undefined>,
): Promise<string | undefined> {
  const id = stepId(deps, `run:${spec.name}`);
  await journal(deps, { id, kind: 'run', name: spec.name, phase: 'running' });
  await crashDuring('run:run', () => deps.podman.runContainer(spec));
  const note = await prove();
  await journal(deps, { id, kind: 'run', name: spec.name, phase: 'done' });
  return note;
}

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
        { podman: deps.podman, dataDir },
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
  const snap = { podman: deps.podman, dataDir: deps.dataDir };
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
 * Stop-first upgrade of a container that owns volumes or host ports: stop the old one (so its data is at
 * rest), snapshot and verify its volumes, park it under another name, start the new one. If the new one
 * fails its health check, it is removed, the data restored from the snapshots and the old one started again.
 */
async function replaceStopFirst(planned: ContainerReplace, deps: ApplyDeps): Promise<string | undefined> {
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
  const record = (
    phase: 'stopping' | 'snapshotting' | 'parked' | 'healthy' | 'done',
    snaps?: SnapshotManifest[],
  ) =>
    journal(deps, {
      id,
      kind: 'replace',
      final: a.finalName,
      parked,
      phase,
      ...(snaps && { snapshots: snaps.map((m) => ({ volume: m.volume, id: m.id })) }),
    });
  await record('stopping');
  try {
    await crashDuring('replace:stop', () => deps.podman.stopContainer(old.name, old.stopTimeoutSeconds));
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
  let snapshots: SnapshotManifest[];
  try {
    snapshots = await snapshotVolumes(a, deps);
  } catch (err) {
    await deps.podman.startContainer(old.name).catch(() => undefined);
    await record('done');
    throw new ApplyError(
      `upgrade of ${a.resource} aborted before any change, the old version runs again: ${explain(err)}`,
      { address: a.address },
      { cause: err },
    );
  }
  await record('parked', snapshots);
  await crashDuring('replace:rename', () => deps.podman.renameContainer(old.name, parked));
  let started = false;
  try {
    await restoreRequested(a, deps);
    if (a.migrate) {
      await runMigrateSteps(a, deps);
      await runCheckHook(a, deps);
    }
    await crashDuring('replace:run', () => deps.podman.runContainer(a.run));
    started = true;
    crashPoint('replace:started');
    await awaitHealthy(a, deps);
  } catch (caught) {
    const err = started ? await removeFailed(a, deps, caught) : caught;
    if (!started) await deps.podman.removeContainer(a.run.name, 0).catch(() => undefined);
    const restoreErrors: string[] = [];
    for (const s of snapshots) {
      try {
        await restoreSnapshot({ podman: deps.podman, dataDir: deps.dataDir! }, s, s.volume);
      } catch (restoreErr) {
        restoreErrors.push(explain(restoreErr));
      }
    }
    await deps.podman.renameContainer(parked, old.name);
    await deps.podman.startContainer(old.name);
    await record('done');
    const data = snapshots.length
      ? restoreErrors.length
        ? `; restoring its data FAILED (${restoreErrors.join('; ')}), snapshots kept: ${snapshots.map((s) => s.id).join(', ')}`
        : ` and the data of ${snapshots.map((s) => s.volume).join(', ')} as it was before`
      : '';
    throw new ApplyError(
      `${a.resource}: the new version failed (${explain(err)}); rolled back to the previous container${data}`,
      { address: a.address, rolledBack: true },
      { cause: err },
    );
  }
  await record('healthy', snapshots);
  await deps.keepLogs?.({ resource: a.resource, id: old.id, name: old.name, reason: 'replaced' });
  await crashDuring('replace:rm', () => deps.podman.removeContainer(parked, 0));
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

/**
 * Removes the new container of a replace that did not become healthy, its output kept first (`hiy logs NAME
 * --previous` shows why it failed); returns the error, its message pointing there when the output was kept.
 */
async function removeFailed(a: ContainerReplace, deps: ApplyDeps, err: unknown): Promise<unknown> {
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
async function awaitHealthy(
  a: ContainerCreate | ContainerReplace | ContainerStart,
  deps: ApplyDeps,
): Promise<string | undefined> {
  if (!a.healthcheck) return undefined;
  deps.onEvent?.({ type: 'action.progress', action: a, message: 'waiting for the health check' });
  await waitHealthy(a.healthcheck, a.run, deps);
  return 'healthy';
}

const handlers: { [K in Action['kind']]: Handler<K> } = {
  'volume.create': async (a, deps) => {
    await crashDuring('volume:create', () => deps.podman.createVolume(a.volume.name, a.volume.labels));
    return undefined;
  },
  'image.build': buildImage,
  'container.create': async (planned, deps) => {
    await ensureSecrets(planned, deps);
    const a = await networked(planned, deps);
    await runCheckHook(a, deps);
    return runJournaled(deps, a.run, () => awaitHealthy(a, deps));
  },
  'container.replace': async (planned, deps) => {
    if (planned.strategy === 'start-first') {
      // The old container keeps serving; the new one must prove healthy before Caddy switches to it.
      await deps.podman.removeContainer(planned.run.name, 0);
      await ensureSecrets(planned, deps);
      const a = await networked(planned, deps);
      await runCheckHook(a, deps);
      try {
        return await runJournaled(deps, a.run, async () => {
          const note = await awaitHealthy(a, deps);
          await journal(deps, switchEntry(a, 'healthy'));
          return note;
        });
      } catch (err) {
        throw await removeFailed(a, deps, err);
      }
    }
    return replaceStopFirst(planned, deps);
  },
  'container.start': async (a, deps) => {
    // From the state observed with the plan: `podman start` alone refuses a paused or half-stopped container.
    const state = (a.before as { state?: string } | null)?.state ?? 'exited';
    await crashDuring('start:start', () =>
      ensureRunning(deps.podman, {
        name: a.container.name,
        state,
        stopTimeoutSeconds: a.container.stopTimeoutSeconds,
      }),
    );
    return awaitHealthy(a, deps);
  },
  'container.delete': async (a, deps) => {
    const { name, id } = a.container;
    await deps.keepLogs?.({ resource: a.resource, id, name, reason: 'removed' });
    // A delete cut short may have left it `stopping`: removeFromAnyState finishes the stop first.
    await crashDuring('delete:rm', () =>
      removeFromAnyState(deps.podman, {
        name: a.container.name,
        stopTimeoutSeconds: a.container.stopTimeoutSeconds,
      }),
    );
    return undefined;
  },
  'certificate.reload': reloadCertificate,
  // Route changes are not applied one by one: the whole of HIY's Caddy state is loaded once (prepareCaddyConfig).
  'route.change': async () => undefined,
};

/** The error's message, with a hint for the failures users can fix themselves. */
function explain(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Podman says so only in its stderr: the one place a failure is recognised by text (the tool's, not ours).
  if (err instanceof PodmanError && /address already in use/.test(err.data.stderr ?? '')) {
    return `${message} (a process outside HIY holds this port: free it, or give HIY another range with HIY_UPSTREAM_PORTS)`;
  }
  return message;
}

function runHandler(action: Action, deps: ApplyDeps): Promise<string | undefined> {
  return (handlers[action.kind] as Handler<Action['kind']>)(action as never, deps);
}

async function runLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/**
 * HIY's Caddy config for the plan: rendered, checked for what Caddy would refuse, and merged into Caddy's config
 * as observed (the user's servers and policies kept). Pure; applyPlan calls it before its first step, so a
 * config Caddy would refuse leaves every container as it was ("prepare, then mutate").
 */
export function prepareCaddyConfig(plan: Plan, current: CaddyConfig | null): CaddyConfig {
  const owned = renderProxy(plan.proxy);
  const server = plan.proxy.server;
  const config = mergeOwned(current, owned, ownedServerNames(server), tlsPolicyId(server));
  const problems = [...validateOwned(owned), ...validateConfig(config)];
  if (problems.length > 0)
    throw new ApplyError(`HIY's Caddy config is not valid, nothing was changed: ${problems.join('; ')}`, {
      address: 'caddy',
    });
  return config;
}

/** The journal record of a start-first switch; its id is derived from the names, so phases pair up. */
function switchEntry(a: ContainerReplace, phase: 'healthy' | 'routed' | 'done'): JournalEntry {
  return {
    id: `switch:${a.finalName}`,
    kind: 'switch',
    old: a.previous.name,
    next: a.run.name,
    final: a.finalName,
    phase,
  };
}

/** After Caddy switched: the old container of a start-first replace goes, the new one takes its name. */
async function retire(a: ContainerReplace, deps: ApplyDeps): Promise<string | undefined> {
  const { name, id } = a.previous;
  await deps.keepLogs?.({ resource: a.resource, id, name, reason: 'replaced' });
  await crashDuring('switch:rm', () =>
    removeFromAnyState(deps.podman, {
      name: a.previous.name,
      stopTimeoutSeconds: a.previous.stopTimeoutSeconds,
    }),
  );
  await crashDuring('switch:rename', () => deps.podman.renameContainer(a.run.name, a.finalName));
  await journal(deps, switchEntry(a, 'done'));
  return 'old container retired';
}

const PHASES: { name: string; kinds: Action['kind'][]; parallel: boolean }[] = [
  { name: 'volumes', kinds: ['volume.create'], parallel: true },
  { name: 'builds', kinds: ['image.build'], parallel: false },
  {
    name: 'containers',
    kinds: ['container.create', 'container.replace', 'container.start', 'certificate.reload'],
    parallel: true,
  },
  { name: 'routes', kinds: ['route.change'], parallel: false },
  // Start-first replacements are finished here, once Caddy no longer sends anything to the old container.
  { name: 'removals', kinds: ['container.delete', 'container.replace'], parallel: true },
];

function inPhase(phase: (typeof PHASES)[number], a: Action): boolean {
  if (!phase.kinds.includes(a.kind)) return false;
  if (phase.name === 'removals' && a.kind === 'container.replace') return a.strategy === 'start-first';
  return true;
}

/**
 * After a successful deploy: each App built by this plan loses its build-stage images its build did not use
 * (a multi-stage build leaves one per push that changed the stage); the cache the next push reuses stays.
 */
async function pruneOldBuildStages(plan: Plan, deps: ApplyDeps): Promise<void> {
  for (const a of plan.actions) {
    const built = a.kind === 'image.build' ? takeBuiltStages(a) : undefined;
    if (!built) continue;
    const removed = await pruneBuildStages(deps.podman, built.labels, built.used);
    if (removed.length > 0) {
      const n = removed.length;
      deps.onEvent?.({
        type: 'action.progress',
        action: a,
        message: `removed ${n} old build-stage image${n === 1 ? '' : 's'} (the layer cache stays)`,
      });
    }
  }
}

/**
 * Applies a plan in phases: volumes, builds, containers, routes (one Caddy load), removals. The Caddy config
 * is rendered and checked first: one Caddy would refuse fails the apply before anything changed. A failed
 * action stops the apply after its phase, so nothing is removed and no route switches after a failure.
 */
export async function applyPlan(plan: Plan, deps: ApplyDeps): Promise<ApplyResult> {
  const results = new Map<string, ActionResult>(
    plan.actions.map((a) => [a.address, { address: a.address, status: 'skipped' as const }]),
  );
  let caddyWrites = 0;
  let failed = false;
  // Prepare, then mutate: the one Caddy config this apply loads is rendered and checked before any step.
  const routeChanges = plan.actions.filter((a) => a.kind === 'route.change');
  let caddyConfig: CaddyConfig | undefined;
  if (routeChanges.length > 0) {
    try {
      caddyConfig = prepareCaddyConfig(plan, deps.caddyConfig);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      for (const a of routeChanges) {
        results.set(a.address, { address: a.address, status: 'failed', error, ms: 0 });
        deps.onEvent?.({ type: 'action.failed', action: a, ms: 0, error });
      }
      return { ok: false, results: [...results.values()], caddyWrites };
    }
  }
  for (const phase of PHASES) {
    const actions = plan.actions.filter((a) => inPhase(phase, a));
    if (actions.length === 0) continue;
    deps.onEvent?.({ type: 'phase', name: phase.name, actions: actions.length });
    if (phase.name === 'routes') {
      const start = Date.now();
      for (const a of actions) deps.onEvent?.({ type: 'action.started', action: a });
      try {
        await crashDuring('caddy:load', () => deps.caddy.load(caddyConfig!));
        caddyWrites++;
        for (const a of plan.actions) {
          if (
            a.kind === 'container.replace' &&
            a.strategy === 'start-first' &&
            results.get(a.address)?.status === 'done'
          )
            await journal(deps, switchEntry(a, 'routed'));
        }
        const ms = Date.now() - start;
        for (const a of actions) {
          results.set(a.address, { address: a.address, status: 'done', ms });
          deps.onEvent?.({ type: 'action.finished', action: a, ms });
        }
        deps.onEvent?.({ type: 'caddy.loaded', routes: plan.proxy.routes.length, ms });
      } catch (err) {
        failed = true;
        const ms = Date.now() - start;
        const error = err instanceof Error ? err.message : String(err);
        for (const a of actions) {
          results.set(a.address, { address: a.address, status: 'failed', error, ms });
          deps.onEvent?.({ type: 'action.failed', action: a, ms, error });
        }
      }
    } else {
      await runLimited(actions, phase.parallel ? (deps.concurrency ?? 4) : 1, async (a) => {
        const start = Date.now();
        deps.onEvent?.({ type: 'action.started', action: a });
        try {
          const note =
            phase.name === 'removals' && a.kind === 'container.replace'
              ? await retire(a, deps)
              : await runHandler(a, deps);
          const ms = Date.now() - start;
          const run = startedRuns.get(a);
          results.set(a.address, { address: a.address, status: 'done', ms, ...(run && { run }) });
          deps.onEvent?.({ type: 'action.finished', action: a, ms, note });
        } catch (err) {
          failed = true;
          const ms = Date.now() - start;
          const error = explain(err);
          const rolledBack = err instanceof ApplyError && err.data.rolledBack === true;
          results.set(a.address, {
            address: a.address,
            status: 'failed',
            error,
            ms,
            ...(rolledBack && { rolledBack }),
          });
          deps.onEvent?.({ type: 'action.failed', action: a, ms, error });
        }
      });
    }
    if (failed) break;
  }
  // Old secrets go only after a fully successful apply: a rolled-back container may still need them.
  // A failed cleanup is retried by the next apply that touches secrets; it never fails this one.
  if (!failed && planTouchesSecrets(plan)) await pruneSecrets(plan.instance, deps).catch(() => undefined);
  if (!failed) await pruneOldBuildStages(plan, deps);
  // Every step was finished or undone by this (live) process: nothing is left for recovery.
  await deps.journal?.clear();
  return { ok: !failed, results: [...results.values()], caddyWrites };
}
