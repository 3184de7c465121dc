// Planning for the engine: read the state repo, observe the box, read the history once, then plan (purely).

import { join } from 'node:path';
import { loadDesiredFromFiles, loadDesiredState, type StateFiles } from '../desired/load.js';
import { pendingPushOverrides } from '../desired/pendingPushes.js';
import { checkRouteCertificates } from '../desired/routeCertificates.js';
import { digestSecrets } from '../desired/secretRefs.js';
import type { DesiredResult, DesiredState } from '../desired/types.js';
import { readHostCertificates } from '../drivers/caddy/storage.js';
import { type Diagnostic, StateRepoInvalidError } from '../model/diagnostics.js';
import { HiyError } from '../model/errors.js';
import { ownershipLabels } from '../model/labels.js';
import type { PortDeclaration } from '../model/portContract.js';
import type { HostCertificate } from '../model/routing.js';
import type { Settings } from '../model/settings.js';
import type { ServedCertificate, StoredStatus } from '../model/status.js';
import { fingerprintObserved, observe } from '../observed/observe.js';
import type { ObservedState } from '../observed/types.js';
import { assessCapacity, startsContainers } from '../plan/capacity.js';
import { plan as computePlanValue, type PlanHistory, type PlanRequest, pinnedDesired } from '../plan/plan.js';
import type { CapacityCheck, Plan, SecretWrite } from '../plan/types.js';
import { type ResolvedPorts, resolvePorts } from '../ports/resolve.js';
import { type PendingSecret, writePendingSecrets } from '../ports/secrets.js';
import type { Pin } from '../store/pins.js';
import type { PortDeclarationStore } from '../store/portDeclarations.js';
import type { Engine } from './context.js';
import { checkDataVersions, readDataVersions } from './dataVersions.js';

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

/**
 * State files to plan instead of the branch head: a working copy's (`hiy plan --worktree`), or the head's files
 * with an edit made (the preview of `hiy config set` and of the dashboard's editor). `commit` is the commit they
 * were read from, `worktree` when absent.
 */
export interface StateSource {
  files: StateFiles;
  commit?: string;
}

/**
 * Loads the state repo (its branch head, or `source`) the way every pass of the loop does: App sources resolved
 * against the hosted repositories and mirrors, with the pushes being deployed.
 */
export async function loadDesired(engine: Engine, source?: StateSource): Promise<DesiredResult> {
  // Pushes deployed whose branch git has not moved yet (reconcile/pushes.ts), then this engine's own.
  const overrides = await pendingPushOverrides(engine.settings.dataDir);
  for (const [key, commit] of engine.sourceOverrides ?? []) overrides.set(key, commit);
  const opts = {
    settings: engine.settings,
    git: engine.git,
    mirrorsDir: join(engine.settings.dataDir, 'mirrors'),
    reposDir: reposDir(engine.settings),
    sourceOverrides: overrides,
  };
  return source
    ? loadDesiredFromFiles(source.files, { ...opts, ...(source.commit && { commit: source.commit }) })
    : loadDesiredState(opts);
}

export interface Planned {
  /** The desired state the plan was computed from: the state repo's, with pinned resources' releases swapped in. */
  desired: DesiredState;
  /** The state repo's desired state as it is, before pins. */
  stateRepo: DesiredState;
  observed: ObservedState;
  /** What the plan was computed with besides desired and observed: pins, secret digests, backoff. */
  history: PlanHistory;
  plan: Plan;
  /** Warnings about the state repo found while planning (a Port variable its image does not declare…). */
  warnings?: Diagnostic[];
}

export interface PlanOptions {
  /** Pins to use on top of (or instead of) the stored ones; `hiy rollback` plans with its new pin. */
  pins?: Record<string, Pin>;
  /**
   * Leave out resources that back off (their last apply failed for the same spec and their retry time is
   * after this clock value), as the daemon does. Without it every resource is planned: `hiy plan` shows what
   * `hiy apply` does, and `hiy apply` by hand is the explicit "retry now".
   */
  backoffAt?: Date;
  /**
   * Holding the apply lock, about to apply: first write the secrets the state needs (a Port's generated ones,
   * created once and exclusively; linked values), then plan with their digests. Without it planning writes
   * nothing to the data directory (`hiy plan`, the API, the dashboard): the plan lists those secrets instead.
   */
  forApply?: boolean;
  /** Plan these state files instead of the branch head (never together with `forApply`). */
  source?: StateSource;
  /** Asked for beyond the state: a forced replace (`hiy restart`), a rollback's data to restore. */
  request?: PlanRequest;
}

/**
 * Reads what HIY remembers between runs that changes a plan, once: the pins (stored, then `opts.pins`), the
 * secret digests of the state repo and pinned releases, that the instance's networks are judged, the
 * certificates Caddy holds for Ports and those their containers last reloaded, and —
 * with `opts.backoffAt` — the resources backing off.
 */
export async function readHistory(
  engine: Engine,
  stateRepo: DesiredState,
  opts: PlanOptions = {},
  pending: readonly PendingSecret[] = [],
): Promise<PlanHistory> {
  const [stored, status, dataVersions] = await Promise.all([
    engine.stores.pins.read(),
    engine.stores.status.read(),
    readDataVersions(engine),
  ]);
  const pins = { ...stored, ...opts.pins };
  const history: PlanHistory = {
    pins,
    secretDigests: await secretDigestsFor(engine, stateRepo, pins, pending),
    networks: true,
    dataVersions,
    hostCertificates: await hostCertificatesFor(engine, stateRepo, pins),
    servedCertificates: servedCertificates(status),
    ...(pending.length > 0 && { secrets: pending.map(secretWrite) }),
  };
  if (opts.backoffAt) {
    const resources: NonNullable<PlanHistory['backoff']>['resources'] = {};
    for (const [id, rec] of Object.entries(status.resources)) if (rec.backoff) resources[id] = rec.backoff;
    history.backoff = { now: opts.backoffAt, resources };
  }
  return history;
}

/** The certificate each resource's running container was last told to reload, from status. */
function servedCertificates(status: StoredStatus): Record<string, ServedCertificate> {
  const out: Record<string, ServedCertificate> = {};
  for (const [id, rec] of Object.entries(status.resources)) if (rec.certificate) out[id] = rec.certificate;
  return out;
}

/** Plans from a loaded state repo, an observation and the history. Pure: no I/O. */
export function planFromHistory(
  engine: Pick<Engine, 'settings'>,
  input: { stateRepo: DesiredState; observed: ObservedState; history: PlanHistory; request?: PlanRequest },
): Planned {
  const { stateRepo, observed, history, request } = input;
  const plan = computePlanValue({
    desired: stateRepo,
    observed,
    observedFingerprint: fingerprintObserved(observed),
    settings: engine.settings,
    history,
    ...(request && { request }),
  });
  return { desired: pinnedDesired(stateRepo, history), stateRepo, observed, history, plan };
}

/**
 * Reads the state repo, observes the box and reads the history, then plans. Throws on invalid state or a
 * failed observation. The plan is exactly what applyAndRecord executes: nothing narrows it afterwards.
 */
export async function computePlan(engine: Engine, opts: PlanOptions = {}): Promise<Planned> {
  const inputs = await readPlanInputs(engine, opts);
  const { stateRepo, observed, secrets } = inputs;
  const history = await readHistory(engine, stateRepo, opts, secrets);
  // Brought certificates expiring within 14 days, or not served with TLS off (errors stopped readHistory already).
  const warnings = [
    ...inputs.warnings,
    ...(await checkRouteCertificates(
      stateRepo.workloads,
      stateRepo.resources,
      engine.stores.secrets.readOnly(),
      new Date(),
      engine.settings.tls,
    )),
  ];
  const planned = planFromHistory(engine, {
    stateRepo,
    observed,
    history,
    ...(opts.request && { request: opts.request }),
  });
  await checkDataVersions(engine, { ...planned, ...(opts.request && { request: opts.request }) });
  const capacity = await capacityOf(engine, planned);
  if (capacity) planned.plan = { ...planned.plan, capacity };
  if (warnings.length === 0) return planned;
  // The plan value carries them too, so `hiy plan --json`, saved plans and the API show what the text plan does.
  return { ...planned, plan: { ...planned.plan, warnings }, warnings };
}

/**
 * The capacity check of a plan that starts containers: the box's facts are read (a few small files, and the
 * cgroups of a sample of the running containers; no process) only then, and judged by the pure planner.
 */
export async function capacityOf(
  engine: Pick<Engine, 'readBox'>,
  planned: Pick<Planned, 'plan' | 'observed'>,
): Promise<CapacityCheck | undefined> {
  if (!engine.readBox || !startsContainers(planned.plan.actions)) return undefined;
  const running = planned.observed.containers.filter((c) => c.state === 'running');
  const box = await engine.readBox(running);
  return assessCapacity({ actions: planned.plan.actions, running, box });
}

/** How a plan shows a pending secret: by name, never its value. */
function secretWrite(p: PendingSecret): SecretWrite {
  return p.kind === 'generate'
    ? {
        name: p.name,
        resource: p.resource,
        change: 'create',
        reason: `its port declaration has HIY generate it (${p.length} characters)`,
      }
    : { name: p.name, resource: p.resource, change: 'write', reason: `the value ${p.from} provides` };
}

/** The declaration cache as planning uses it without the apply lock: read, never written. */
function readOnlyCache(cache: PortDeclarationStore): Pick<PortDeclarationStore, 'read' | 'write'> {
  return { read: () => cache.read(), write: async () => undefined };
}

/** The effective desired state: the state repo's, with every Port's image declaration folded in. */
export interface EffectiveState {
  /** Declared volumes, defaults, generated and link secrets in each Port's spec and workload. */
  state: DesiredState;
  /** The state repo's warnings and the declarations'. */
  warnings: Diagnostic[];
  /** Generated and linked secrets the store does not hold yet (apply writes them). */
  secrets: PendingSecret[];
  /** Each declared Port's image declaration, by resource id (what its ports and env are, for views). */
  declarations: Map<string, PortDeclaration>;
}

/**
 * THE effective desired state, which every command, page and preview plans and shows: the loaded state repo
 * with each Port's image declaration folded in (src/ports: declared volumes, defaults, generated and link
 * secrets). Throws StateRepoInvalidError on an invalid state repo or a port configuration its declaration
 * refuses. Writes nothing unless `forApply` (holding the apply lock): then the secrets are written first, and
 * none is left pending.
 */
export async function effectiveDesired(
  engine: Engine,
  input: { loaded: DesiredResult; containers: ObservedState['containers']; forApply?: boolean },
): Promise<EffectiveState> {
  const state = input.loaded.state;
  if (!state) throw new StateRepoInvalidError(input.loaded.diagnostics);
  const store = engine.stores.secrets;
  const resolve = (): Promise<ResolvedPorts> =>
    resolvePorts({
      podman: engine.podman,
      cache: input.forApply ? engine.stores.portDeclarations : readOnlyCache(engine.stores.portDeclarations),
      secrets: store.readOnly(),
      instance: engine.settings.instance,
      state,
      containers: input.containers,
    });
  let ports = await resolve();
  if (ports.diagnostics.some((d) => d.severity === 'error'))
    throw new StateRepoInvalidError(ports.diagnostics);
  if (input.forApply) {
    await store.ensureSalt();
    // Generated secrets first; a linked value made from one is known on the next pass.
    for (let pass = 0; pass < 3 && ports.secrets.length > 0; pass++) {
      const written = await writePendingSecrets(store, ports.secrets);
      if (written.length > 0) engine.logger.info({ secrets: written }, 'wrote secrets');
      ports = await resolve();
    }
  }
  return {
    state: ports.state,
    warnings: [...input.loaded.diagnostics, ...ports.diagnostics].filter((d) => d.severity === 'warning'),
    secrets: ports.secrets,
    declarations: ports.declarations,
  };
}

/**
 * For views (`hiy status`, `hiy volume ls`, `hiy secret list`, the dashboard): the effective desired state of the
 * branch head (effectiveDesired, so a Port's declared volumes, generated and linked secrets are its own), or —
 * when the state repo or a declaration refuses it — no state and every diagnostic. Writes nothing, throws only
 * when the state repo cannot be read at all.
 */
export async function viewDesired(
  engine: Engine,
  containers?: ObservedState['containers'],
): Promise<{
  state?: DesiredState;
  diagnostics: Diagnostic[];
  commit?: string;
  declarations?: Map<string, PortDeclaration>;
}> {
  const [loaded, seen] = await Promise.all([
    loadDesired(engine),
    containers ?? engine.podman.listContainers(ownershipLabels(engine.settings.instance)),
  ]);
  if (!loaded.state) return { diagnostics: loaded.diagnostics };
  try {
    const effective = await effectiveDesired(engine, { loaded, containers: seen });
    return {
      state: effective.state,
      diagnostics: effective.warnings,
      commit: loaded.state.commit,
      declarations: effective.declarations,
    };
  } catch (err) {
    if (!(err instanceof StateRepoInvalidError)) throw err;
    return { diagnostics: err.diagnostics, commit: loaded.state.commit };
  }
}

/**
 * The effective desired state (effectiveDesired) of the branch head or `opts.source`, and one observation of
 * the box, read at once. Throws on an invalid state repo, a port configuration its declaration refuses, or a
 * failed observation (nothing is planned from any of them). Writes nothing unless `opts.forApply`.
 */
export async function readPlanInputs(
  engine: Engine,
  opts: Pick<PlanOptions, 'forApply' | 'source'> = {},
): Promise<{
  stateRepo: DesiredState;
  observed: ObservedState;
  warnings: Diagnostic[];
  secrets: PendingSecret[];
}> {
  const [loaded, observed] = await Promise.all([
    loadDesired(engine, opts.source),
    observe({ podman: engine.podman, caddy: engine.caddy, instance: engine.settings.instance }),
  ]);
  const effective = await effectiveDesired(engine, {
    loaded,
    containers: observed.containers,
    forApply: opts.forApply === true && !opts.source,
  });
  return { stateRepo: effective.state, observed, warnings: effective.warnings, secrets: effective.secrets };
}

/**
 * The certificates Caddy holds for the hosts whose certificate a Port asks for (`spec.tls.certificateFor`), read
 * from HIY_CADDY_DATA_DIR; none with TLS off or no such Port (nothing is read then).
 */
export async function hostCertificatesFor(
  engine: Pick<Engine, 'settings'>,
  stateRepo: DesiredState,
  pins: Record<string, Pin> = {},
): Promise<Record<string, HostCertificate>> {
  const workloads = [...stateRepo.workloads, ...Object.values(pins).map((p) => p.workload)];
  const hosts = workloads.flatMap((w) => (w.certificateFor ? [w.certificateFor] : []));
  const dir = engine.settings.caddyDataDir;
  if (hosts.length === 0 || !dir || engine.settings.tls === 'off') return {};
  return readHostCertificates(dir, hosts);
}

/**
 * Salted digests of the secrets the state repo (and pinned releases) use; the values stay in the store.
 * A secret that is not set is a state repo error: nothing is planned, let alone applied.
 */
export async function secretDigestsFor(
  engine: Engine,
  stateRepo: DesiredState,
  pins: Record<string, Pin> = {},
  pending: readonly PendingSecret[] = [],
): Promise<Record<string, string>> {
  const workloads = [...stateRepo.workloads, ...Object.values(pins).map((p) => p.workload)];
  const { digests, diagnostics } = await digestSecrets(
    workloads,
    stateRepo.resources,
    engine.stores.secrets.readOnly(),
    new Map(pending.map((p) => [p.name, p.value])),
  );
  // A brought certificate that cannot serve its host stops the plan as a missing secret does: nothing changes.
  const certificates = await checkRouteCertificates(
    workloads,
    stateRepo.resources,
    engine.stores.secrets.readOnly(),
    new Date(),
  );
  const errors = [...diagnostics, ...certificates.filter((d) => d.severity === 'error')];
  if (errors.length > 0) throw new StateRepoInvalidError(errors);
  return digests;
}

/**
 * Checks that a saved plan still fits the state repo head and the observed state; call it holding the apply
 * lock (it writes the secrets the state needs first). A saved plan that listed secrets to write planned their
 * containers with digests not known then: the plan computed now, with them, is applied — when it makes the same
 * changes to the same objects.
 */
export async function verifySavedPlan(engine: Engine, saved: Plan): Promise<Planned> {
  const current = await computePlan(engine, { forApply: true });
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
  if (saved.secrets?.length) {
    const changes = (p: Plan) => JSON.stringify(p.actions.map((a) => [a.address, a.change]));
    if (changes(saved) !== changes(current.plan))
      throw new StalePlanError('the plan changed once its secrets were written; run hiy plan again');
    return current;
  }
  // The box's room is judged now, not when the plan was saved.
  const capacity = current.plan.capacity;
  if (!capacity && !saved.capacity) return { ...current, plan: saved };
  const { capacity: _saved, ...rest } = saved;
  return { ...current, plan: capacity ? { ...rest, capacity } : rest };
}
