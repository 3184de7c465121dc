// The reconcile engine: desired → observed → plan → apply, with the lock and the status record.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { syncAccountKeys } from '../access/sshAccount.js';
import { type ApplyResult, applyPlan, type ExportCommit } from '../apply/apply.js';
import type { BuildSupport } from '../apply/build.js';
import type { ApplyListener } from '../apply/events.js';
import { type ApplyLock, acquireApplyLock, LockBusyError } from '../apply/lock.js';
import { type Recovery, recover } from '../apply/recover.js';
import { loadDesiredState } from '../desired/load.js';
import { pendingPushOverrides } from '../desired/pendingPushes.js';
import { digestSecrets } from '../desired/secretRefs.js';
import type { DesiredResult, DesiredState } from '../desired/types.js';
import type { CaddyDriver } from '../drivers/caddy/types.js';
import type { GitReader } from '../drivers/git/types.js';
import type { PodmanDriver } from '../drivers/podman/types.js';
import type { Prober } from '../drivers/probe/prober.js';
import { StateRepoInvalidError } from '../model/diagnostics.js';
import { HiyError } from '../model/errors.js';
import type { ControllerEvent } from '../model/events.js';
import type { Settings } from '../model/settings.js';
import { fingerprintObserved, observe } from '../observed/observe.js';
import type { ObservedState } from '../observed/types.js';
import { applyPins } from '../plan/pins.js';
import { plan as computePlanValue } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { EventLog } from '../store/events.js';
import { Journal } from '../store/journal.js';
import { type Pin, PinStore } from '../store/pins.js';
import { type Release, ReleaseStore } from '../store/releases.js';
import { SecretStore } from '../store/secrets.js';
import { StatusStore } from '../store/status.js';
import type { BackoffPolicy, BackoffState } from './backoff.js';
import { markReconciling, recordConditions } from './conditions.js';

/** Everything the engine needs, built by the composition root (src/main.ts) or by tests. */
export interface Engine {
  settings: Settings;
  podman: PodmanDriver;
  caddy: CaddyDriver;
  git: GitReader;
  prober: Prober;
  exportCommit: ExportCommit;
  logger: Logger;
  /** How long commands wait for the apply lock held by another run, e.g. the daemon's (default 0: fail at once). */
  lockWaitMs?: number;
  /** Told once when a command starts waiting for the apply lock. */
  onLockWait?: (busy: LockBusyError) => void;
  /** Told what crash recovery did at the start of a locked run (the CLI prints it). */
  onRecovery?: (recovery: Recovery) => void;
  /** Containerfiles for detected stacks and build caps (src/build); without it only Containerfiles build. */
  build?: BuildSupport;
  /** Commits that replace branch heads of App sources (a push being received); see ResolveOptions. */
  sourceOverrides?: ReadonlyMap<string, string>;
}

/** Where HIY hosts the App repositories pushed to it: `<dataDir>/repos/NAME.git`. */
export function reposDir(settings: Pick<Settings, 'dataDir'>): string {
  return join(settings.dataDir, 'repos');
}

/** A saved plan no longer matches the box or the state repo. */
export class StalePlanError extends HiyError {
  constructor(message: string) {
    super('PLAN_STALE', message);
    this.name = 'StalePlanError';
  }
}

export async function loadDesired(engine: Engine): Promise<DesiredResult> {
  // Pushes deployed whose branch git has not moved yet (reconcile/pushes.ts), then this engine's own.
  const overrides = await pendingPushOverrides(engine.settings.dataDir);
  for (const [key, commit] of engine.sourceOverrides ?? []) overrides.set(key, commit);
  return loadDesiredState({
    settings: engine.settings,
    git: engine.git,
    mirrorsDir: join(engine.settings.dataDir, 'mirrors'),
    reposDir: reposDir(engine.settings),
    sourceOverrides: overrides,
  });
}

export interface Planned {
  /** The desired state the plan was computed from: the state repo's, with pinned resources' releases swapped in. */
  desired: DesiredState;
  /** The state repo's desired state as it is, before pins. */
  stateRepo: DesiredState;
  observed: ObservedState;
  plan: Plan;
}

export interface PlanOptions {
  /** Pins to use on top of (or instead of) the stored ones; `hiy rollback` plans with its new pin. */
  pins?: Record<string, Pin>;
}

/** A plan that removes most of what HIY manages, applied without --allow-mass-delete. */
export class MassDeleteError extends HiyError<{ removing: string[]; managed: number }> {
  constructor(data: { removing: string[]; managed: number }) {
    super(
      'MASS_DELETE_REFUSED',
      `refusing to remove ${data.removing.length} of the ${data.managed} resources HIY manages at once (${data.removing.join(', ')}); ` +
        'if the state repo really means it, apply with --allow-mass-delete (volumes are kept either way)',
      { data },
    );
    this.name = 'MassDeleteError';
  }
}

/** Refuses a plan that would remove more than half of the managed resources, unless allowed. */
export function assertSafeToApply(plan: Plan, opts: { allowMassDelete: boolean }): void {
  if (plan.massDelete && !opts.allowMassDelete) throw new MassDeleteError(plan.massDelete);
}

/** Plans from a loaded state repo and an observation, honouring pins. Pure but for nothing: no I/O. */
export function planWithPins(
  engine: Engine,
  stateRepo: DesiredState,
  observed: ObservedState,
  pins: Record<string, Pin>,
  secretDigests: Record<string, string> = {},
): Planned {
  const { desired, effects } = applyPins(stateRepo, pins);
  const plan = computePlanValue({
    desired,
    observed,
    observedFingerprint: fingerprintObserved(observed),
    settings: engine.settings,
    secretDigests,
  });
  if (effects.length > 0) plan.pins = effects;
  return { desired, stateRepo, observed, plan };
}

/** Reads the state repo and observes the box, then plans. Throws on invalid state or a failed observation. */
export async function computePlan(engine: Engine, opts: PlanOptions = {}): Promise<Planned> {
  const [result, observed, stored] = await Promise.all([
    loadDesired(engine),
    observe({ podman: engine.podman, caddy: engine.caddy, instance: engine.settings.instance }),
    new PinStore(engine.settings.dataDir).read(),
  ]);
  if (!result.state) throw new StateRepoInvalidError(result.diagnostics);
  const pins = { ...stored, ...opts.pins };
  return planWithPins(
    engine,
    result.state,
    observed,
    pins,
    await secretDigestsFor(engine, result.state, pins),
  );
}

/**
 * Salted digests of the secrets the state repo (and pinned releases) use; the values stay in the store.
 * A secret that is not set is a state repo error: nothing is planned, let alone applied.
 */
export async function secretDigestsFor(
  engine: Engine,
  stateRepo: DesiredState,
  pins: Record<string, Pin> = {},
): Promise<Record<string, string>> {
  const workloads = [...stateRepo.workloads, ...Object.values(pins).map((p) => p.workload)];
  const { digests, diagnostics } = await digestSecrets(
    workloads,
    stateRepo.resources,
    new SecretStore(engine.settings.dataDir),
  );
  if (diagnostics.length > 0) throw new StateRepoInvalidError(diagnostics);
  return digests;
}

/** Checks that a saved plan still fits the state repo head and the observed state. */
export async function verifySavedPlan(engine: Engine, saved: Plan): Promise<Planned> {
  const current = await computePlan(engine);
  if (saved.instance !== engine.settings.instance) {
    throw new StalePlanError(`the plan is for instance ${saved.instance}, not ${engine.settings.instance}`);
  }
  if (saved.commit !== current.desired.commit) {
    throw new StalePlanError(
      `the state repo moved: the plan is for ${saved.commit.slice(0, 12)}, ${engine.settings.branch} is now at ${current.desired.commit.slice(0, 12)}; run hiy plan again`,
    );
  }
  if (saved.observedFingerprint !== current.plan.observedFingerprint) {
    throw new StalePlanError(
      'the box changed since the plan was made (containers, volumes or Caddy routes); run hiy plan again',
    );
  }
  return { ...current, plan: saved };
}

/** Takes the apply lock, waiting up to `engine.lockWaitMs` while another run (the daemon's) holds it. */
async function acquireWaiting(engine: Engine): Promise<ApplyLock> {
  const deadline = Date.now() + (engine.lockWaitMs ?? 0);
  let told = false;
  for (;;) {
    try {
      return await acquireApplyLock(engine.settings.dataDir);
    } catch (err) {
      if (!(err instanceof LockBusyError) || Date.now() >= deadline) throw err;
      if (!told) engine.onLockWait?.(err);
      told = true;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Runs fn holding the box-wide apply lock (plan and apply must both happen under it). */
export async function withApplyLock<T>(engine: Engine, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireWaiting(engine);
  if (lock.tookOver) engine.logger.warn({ stale: lock.tookOver }, 'took over a stale apply lock');
  try {
    const recovery = await recover({
      podman: engine.podman,
      dataDir: engine.settings.dataDir,
      instance: engine.settings.instance,
      journal: new Journal(engine.settings.dataDir),
    });
    for (const step of recovery.steps) engine.logger.warn({ step }, 'recovered an interrupted step');
    if (recovery.discardedSnapshots.length)
      engine.logger.warn({ dirs: recovery.discardedSnapshots }, 'discarded incomplete snapshots');
    engine.onRecovery?.(recovery);
    return await fn();
  } finally {
    await lock.release();
  }
}

/** How an apply came about; recorded with its releases. */
export interface RecordOptions {
  /** Only these resources' records change (a rollback touches one resource; others may have pending changes). */
  scope?: string[];
  cause?: Release['cause'];
  rolledBackTo?: number;
  /** Resources left out of the plan because they back off (the daemon; see reconcile/backoff.ts). */
  deferred?: ReadonlyMap<string, BackoffState>;
  backoff?: BackoffPolicy;
  /** Receives the events written to the history (the daemon streams them to subscribers). */
  onRecorded?: (events: ControllerEvent[]) => void;
}

/** Applies a plan and records the outcome in the data directory. Call it inside withApplyLock. */
export async function applyAndRecord(
  engine: Engine,
  planned: Planned,
  onEvent?: ApplyListener,
  opts: RecordOptions = {},
): Promise<ApplyResult> {
  const store = new StatusStore(engine.settings.dataDir);
  const { plan } = planned;
  engine.logger.info({ commit: plan.commit, actions: plan.actions.length }, 'apply started');
  if (plan.actions.length > 0) {
    // Persisted before the apply, so `hiy status` shows Reconciling during a long run.
    const before = await store.read();
    if (markReconciling(before, plan, new Date())) await store.write(before);
  }
  const snapshotsBy = new Map<string, string[]>();
  const result = plan.actions.length
    ? await applyPlan(plan, {
        podman: engine.podman,
        caddy: engine.caddy,
        prober: engine.prober,
        exportCommit: engine.exportCommit,
        caddyConfig: planned.observed.caddyConfig,
        dataDir: engine.settings.dataDir,
        volumes: planned.observed.volumes,
        stateCommit: plan.commit,
        journal: new Journal(engine.settings.dataDir),
        secrets: new SecretStore(engine.settings.dataDir),
        build: engine.build,
        onEvent: (e) => {
          if (e.type === 'snapshot.taken') {
            snapshotsBy.set(e.action.address, [...(snapshotsBy.get(e.action.address) ?? []), e.manifest.id]);
          }
          onEvent?.(e);
        },
      })
    : { ok: true, results: [], caddyWrites: 0 };
  const scope = opts.scope ? new Set(opts.scope) : undefined;
  const inScope = (id: string) => !scope || scope.has(id);
  const status = await store.read();
  const now = new Date().toISOString();
  if (!scope) {
    status.lastAttemptedCommit = plan.commit;
    status.lastAttemptedAt = now;
  }
  const byAddress = new Map(plan.actions.map((a) => [a.address, a]));
  const touched = new Set(plan.actions.map((a) => a.resource as string));
  const failedByResource = new Map<string, string>();
  for (const r of result.results) {
    const action = byAddress.get(r.address);
    if (r.status === 'failed' && action) failedByResource.set(action.resource, r.error ?? 'failed');
  }
  for (const w of planned.desired.workloads) {
    if (!inScope(w.id) || opts.deferred?.has(w.id)) continue;
    const rec = status.resources[w.id] ?? {};
    const error = failedByResource.get(w.id);
    if (error) rec.lastError = error;
    else if (result.ok || !touched.has(w.id)) {
      rec.lastAppliedCommit = plan.commit;
      rec.lastAppliedAt = rec.specHash === w.specHash && rec.lastAppliedAt ? rec.lastAppliedAt : now;
      rec.specHash = w.specHash;
      rec.image = w.image;
      delete rec.lastError;
    }
    status.resources[w.id] = rec;
  }
  const releases = new ReleaseStore(engine.settings.dataDir);
  const done = new Set(result.results.filter((r) => r.status === 'done').map((r) => r.address));
  const workloads = new Map(planned.desired.workloads.map((w) => [w.id as string, w]));
  for (const a of plan.actions) {
    if ((a.kind === 'container.create' || a.kind === 'container.replace') && done.has(a.address)) {
      const workload = workloads.get(a.resource);
      await releases.record({
        resource: a.resource,
        stateCommit: plan.commit,
        image: a.run.image,
        specHash: a.run.labels['hiy.spec-hash'] ?? '',
        run: { ...a.run, name: a.kind === 'container.replace' ? a.finalName : a.run.name },
        ...(workload && { workload }),
        snapshots: snapshotsBy.get(a.address) ?? [],
        ...(a.kind === 'container.replace' && a.restoreData?.length
          ? { restoredSnapshots: a.restoreData.map((r) => r.snapshot) }
          : {}),
        appliedAt: now,
        cause: opts.cause ?? 'apply',
        ...(opts.rolledBackTo !== undefined && { rolledBackTo: opts.rolledBackTo }),
      });
    }
  }
  if (!scope) {
    const desiredIds = new Set(planned.desired.workloads.map((w) => w.id as string));
    for (const id of Object.keys(status.resources))
      if (!desiredIds.has(id) && result.ok) delete status.resources[id];
    if (result.ok) {
      status.lastAppliedCommit = plan.commit;
      status.lastAppliedAt = now;
      delete status.lastError;
    } else {
      status.lastError = [...failedByResource.values()].join('; ');
    }
  }
  const drafts = recordConditions(status, {
    desired: planned.desired,
    plan,
    result,
    deferred: opts.deferred,
    now: new Date(),
    policy: opts.backoff,
    ...(scope && { scope }),
  });
  await store.write(status);
  // Appended under the apply lock (the caller holds it), which orders writers across processes.
  const events = await new EventLog(engine.settings.dataDir).append(drafts);
  opts.onRecorded?.(events);
  const lifted = (plan.pins ?? []).filter((p) => p.state === 'lifted' && inScope(p.resource));
  if (lifted.length > 0) {
    await new PinStore(engine.settings.dataDir).remove(lifted.map((p) => p.resource));
    engine.logger.info({ resources: lifted.map((p) => p.resource) }, 'pins lifted by state repo changes');
  }
  if (!scope) {
    // The ssh account's keys follow the Users of each applied state (a removed key stops working now).
    try {
      if ((await syncAccountKeys(engine.settings.dataDir, planned.stateRepo.users)) === 'written')
        engine.logger.info({ users: planned.stateRepo.users.length }, 'ssh account authorized_keys updated');
    } catch (err) {
      engine.logger.error(
        { error: (err as Error).message },
        'could not update the ssh account authorized_keys',
      );
    }
  }
  engine.logger.info({ commit: plan.commit, ok: result.ok }, 'apply finished');
  return result;
}
