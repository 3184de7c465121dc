// The status view of every resource (container, routes, last applied commit, pending changes, pins), as
// `hiy status` and `GET /api/v1/status` show it.

import { applyLockHeld } from '../apply/lock.js';
import { checkRouteCertificates } from '../desired/routeCertificates.js';
import { type HostCertificate, servedCertificate } from '../drivers/caddy/certificates.js';
import { formatDiagnostic } from '../model/diagnostics.js';
import { LABEL_RESOURCE } from '../model/labels.js';
import { resourceId } from '../model/names.js';
import type { BackupResource } from '../model/resources.js';
import type { TlsMode } from '../model/settings.js';
import type { Condition } from '../model/status.js';
import { observe } from '../observed/observe.js';
import { backupAges, type ResourceBackupAges } from './backupAges.js';
import { buildingConditions } from './builds.js';
import { observedConditions } from './conditions.js';
import { type Engine, planFromHistory, secretDigestsFor, viewDesired } from './engine.js';
import { hostCertificatesFor } from './planning.js';

export interface ResourceStatus {
  id: string;
  inStateRepo: boolean;
  container: { name: string; state: string; image: string } | null;
  routes: string[];
  lastAppliedCommit?: string;
  lastAttemptedCommit?: string;
  lastError?: string;
  /** The plan has actions for this resource: the box does not match the state repo yet. */
  pending: boolean;
  /** Held at a release by `hiy rollback`: the state repo's version at `ignoredCommit` is ignored. */
  pinned?: { release: number; ignoredCommit: string; since: string };
  /** Ready / Reconciling / Stalled as the last run (of hiy apply or the daemon) left them. */
  conditions: Condition[];
  /** Set while the daemon holds back retries of a failing spec. */
  backoff?: { failures: number; retryAt: string; commit: string };
  /**
   * What is wrong with the certificates its routes bring (`tls.certificate`), e.g. `certificate secret "site"
   * expires within 14 days (…)`: read from the secret store, no handshake, so every view can show it.
   */
  certificateProblems?: string[];
  /** For a resource a Backup covers: the age of its last backup and last passing drill (docs/backups.md). */
  backup?: ResourceBackupAges;
}

export interface StatusView {
  stateRepo: string;
  branch: string;
  head?: string;
  lastAppliedCommit?: string;
  lastAppliedAt?: string;
  lastAttemptedCommit?: string;
  lastError?: string;
  stateErrors: number;
  /**
   * The first error of the state repo (or of a Port's declaration), `file:line:col: …`, when it has any: the
   * resources are then shown as the last apply left them, none as removed.
   */
  stateError?: string;
  resources: ResourceStatus[];
  retainedVolumes: string[];
  /** The resource each retained volume belonged to (so a view can be narrowed to what a caller may see). */
  retainedOwners: Record<string, string>;
  /** With TLS on: the certificate served for each route host (from a TLS handshake), or why none is. */
  certificates?: HostCertificate[];
}

/**
 * The conditions with the Building one of an active build (first, as it is what happens now); an App never
 * deployed and not building is `Ready=False (WaitingForPush)`.
 */
function withBuilding(
  conditions: Condition[],
  building: Condition | undefined,
  neverDeployed: boolean,
): Condition[] {
  if (building) return [building, ...conditions];
  if (neverDeployed && conditions.length === 0)
    return [
      {
        type: 'Ready',
        status: 'False',
        reason: 'WaitingForPush',
        message: 'not deployed yet: waiting for the first git push of its source',
        lastTransitionTime: new Date(0).toISOString(),
      },
    ];
  return conditions;
}

/**
 * Reads the state repo, the box and the stored status, and puts them side by side. `certificates` asks for a TLS
 * handshake per route host (`hiy status`, the API for whole-box readers); the dashboard's pages show none, so
 * they do not pay for them.
 */
export async function computeStatusView(
  engine: Engine,
  opts: { certificates?: boolean } = {},
): Promise<StatusView> {
  const [observed, stored, pins, builds, marks] = await Promise.all([
    observe({ podman: engine.podman, caddy: engine.caddy, instance: engine.settings.instance }),
    engine.stores.status.read(),
    engine.stores.pins.read(),
    engine.stores.builds.list().catch(() => []),
    engine.stores.backupHistory.list().catch(() => []),
  ]);
  // The effective state, as plan and apply plan it (declarations and links folded in; no secret written).
  const desired = await viewDesired(engine, observed.containers);
  const state = desired.state;
  const errors = desired.diagnostics.filter((d) => d.severity === 'error');
  // A secret that is not set is reported by plan/apply; status still shows the rest.
  const digests = state ? await secretDigestsFor(engine, state, pins).catch(() => ({})) : {};
  const plan = state
    ? planFromHistory(engine, {
        stateRepo: state,
        observed,
        history: {
          pins,
          secretDigests: digests,
          hostCertificates: await hostCertificatesFor(engine, state, pins).catch(() => ({})),
        },
      }).plan
    : undefined;
  // Apps of the state repo without a workload yet (waiting for their first push) are shown too, and so is
  // every App a build is under way for: a first push is visible while it builds.
  const apps = (desired.state?.resources ?? [])
    .filter((lr) => lr.resource.kind === 'App')
    .map((lr): string => resourceId('App', lr.resource.metadata.name));
  const now = new Date();
  const building = buildingConditions(builds, now);
  const ids = new Set<string>([
    ...(state?.workloads.map((w) => w.id) ?? []),
    ...apps,
    ...building.keys(),
    ...observed.containers.map((c) => c.labels[LABEL_RESOURCE] ?? ''),
    // A state repo that cannot be read: the last applied state is what the box runs.
    ...(state ? [] : Object.keys(stored.resources).filter((id) => stored.resources[id]?.lastAppliedCommit)),
  ]);
  ids.delete('');
  const routes = observed.proxy.state?.routes ?? [];
  const hosts = [...new Set(routes.map((r) => r.host))].sort();
  const certificates =
    engine.settings.tls === 'off' || !opts.certificates
      ? undefined
      : await Promise.all(hosts.map((h) => servedCertificate(engine.settings.httpsAddr, h, now)));
  const runInProgress = await applyLockHeld(engine.settings.dataDir);
  const brought = state
    ? await checkRouteCertificates(state.workloads, state.resources, engine.stores.secrets.readOnly(), now)
    : [];
  const ages = backupAges({
    backups: (desired.state?.resources ?? [])
      .map((r) => r.resource)
      .filter((r): r is BackupResource => r.kind === 'Backup'),
    marks,
    resources: [...ids],
    withVolumes: observed.volumes.map((v) => v.labels[LABEL_RESOURCE] ?? '').filter(Boolean),
    now,
  });
  const resources: ResourceStatus[] = [...ids].sort().map((id) => {
    const c = observed.containers.find((x) => x.labels[LABEL_RESOURCE] === id);
    const rec = stored.resources[id];
    const pinned = plan?.pins?.find((p) => p.resource === id && p.state === 'pinned');
    const certificateProblems = brought.filter((d) => d.resource === id).map((d) => d.summary);
    return {
      id,
      // Unknown while the state repo has errors: shown as the last apply left it, never as removed.
      inStateRepo: state ? state.workloads.some((w) => w.id === id) || apps.includes(id) : true,
      container: c ? { name: c.name, state: c.state, image: c.image } : null,
      routes: routes.filter((r) => r.resource === id).map((r) => `${r.host}${r.path}`),
      lastAppliedCommit: rec?.lastAppliedCommit,
      lastAttemptedCommit: rec?.lastAttemptedCommit,
      lastError: rec?.lastError,
      pending: plan?.actions.some((a) => a.resource === id) ?? false,
      ...(pinned && {
        pinned: { release: pinned.release, ignoredCommit: pinned.ignoredCommit, since: pinned.pinnedAt },
      }),
      // The last run's conditions, but never Ready for a container that is not running now, nor Reconciling
      // when no run is in progress.
      conditions: [
        ...withBuilding(
          observedConditions(rec?.conditions ?? [], { container: c ?? null, runInProgress }, now),
          building.get(id),
          !c && !rec && apps.includes(id),
        ),
        ...certificateConditions(
          routes.filter((r) => r.resource === id).map((r) => r.host),
          certificates,
          engine.settings.tls,
          now,
        ),
        ...backupCondition(ages.get(id)),
      ],
      ...(certificateProblems.length > 0 && { certificateProblems }),
      ...(ages.has(id) && { backup: ages.get(id) }),
      ...(rec?.backoff && {
        backoff: { failures: rec.backoff.failures, retryAt: rec.backoff.retryAt, commit: rec.backoff.commit },
      }),
    };
  });
  return {
    stateRepo: engine.settings.stateRepo,
    branch: engine.settings.branch,
    head: desired.commit,
    lastAppliedCommit: stored.lastAppliedCommit,
    lastAppliedAt: stored.lastAppliedAt,
    lastAttemptedCommit: stored.lastAttemptedCommit,
    lastError: stored.lastError,
    stateErrors: errors.length,
    ...(errors[0] && { stateError: formatDiagnostic(errors[0]) }),
    resources,
    retainedVolumes: plan?.retained.map((r) => r.name) ?? [],
    retainedOwners: Object.fromEntries((plan?.retained ?? []).map((r) => [r.name, r.resource])),
    ...(certificates ? { certificates } : {}),
  };
}

/**
 * `CertificateReady` of a resource from the handshakes of its route hosts: False (`NoCertificate`) when a host is
 * served none — with HIY_TLS=acme, an issuance that keeps failing (Caddy retries it; its log says why) — never a
 * silent fallback to plain HTTP: the HTTP server keeps redirecting. None without probes or routes.
 */
export function certificateConditions(
  hosts: string[],
  certificates: HostCertificate[] | undefined,
  tls: TlsMode,
  now: Date,
): Condition[] {
  if (!certificates || hosts.length === 0) return [];
  const mine = certificates.filter((c) => hosts.includes(c.host));
  if (mine.length === 0) return [];
  const failed = mine.filter((c) => c.error);
  const at = now.toISOString();
  if (failed.length > 0) {
    const why =
      tls === 'acme'
        ? 'the ACME issuance has not succeeded (Caddy retries it; its log says why, e.g. the CA refused the name or could not reach it on HIY_HTTP_ADDR)'
        : 'Caddy holds no certificate for it';
    return [
      {
        type: 'CertificateReady',
        status: 'False',
        reason: 'NoCertificate',
        message: `no certificate is served for ${failed.map((c) => c.host).join(', ')}: ${why}; plain HTTP still redirects to HTTPS`,
        lastTransitionTime: at,
      },
    ];
  }
  const soon = mine.filter((c) => c.expiresSoon);
  return [
    {
      type: 'CertificateReady',
      status: 'True',
      reason: soon.length > 0 ? 'ExpiresSoon' : 'Served',
      message: mine
        .map(
          (c) =>
            `${c.host}: ${c.issuer} until ${c.notAfter}${c.expiresSoon ? ' (WARNING: within 14 days)' : ''}`,
        )
        .join('; '),
      lastTransitionTime: at,
    },
  ];
}

/** `BackupStale=True` while a covering Backup has had no success for twice its schedule; False when fresh. */
function backupCondition(ages: ResourceBackupAges | undefined): Condition[] {
  if (!ages?.lastBackupAt && !ages?.stale) return [];
  return [
    ages.stale
      ? {
          type: 'BackupStale',
          status: 'True',
          reason: 'NoRecentBackup',
          message: ages.stale.message,
          lastTransitionTime: ages.stale.since,
        }
      : {
          type: 'BackupStale',
          status: 'False',
          reason: 'BackedUp',
          message: `last backup at ${ages.lastBackupAt}`,
          lastTransitionTime: ages.lastBackupAt!,
        },
  ];
}
