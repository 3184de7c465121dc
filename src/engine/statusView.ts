// The status view of every resource (container, routes, last applied commit, pending changes, pins), as
// `hiy status` and `GET /api/v1/status` show it.

import { applyLockHeld } from '../apply/lock.js';
import { type HostCertificate, servedCertificate } from '../drivers/caddy/certificates.js';
import { LABEL_RESOURCE } from '../model/labels.js';
import type { BackupResource } from '../model/resources.js';
import type { Condition } from '../model/status.js';
import { observe } from '../observed/observe.js';
import { resolvePorts } from '../ports/resolve.js';
import { backupAges, type ResourceBackupAges } from './backupAges.js';
import { observedConditions } from './conditions.js';
import { type Engine, loadDesired, planFromHistory, secretDigestsFor } from './engine.js';

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
  resources: ResourceStatus[];
  retainedVolumes: string[];
  /** The resource each retained volume belonged to (so a view can be narrowed to what a caller may see). */
  retainedOwners: Record<string, string>;
  /** With TLS on: the certificate served for each route host (from a TLS handshake), or why none is. */
  certificates?: HostCertificate[];
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
  const [desired, observed, stored, pins, marks] = await Promise.all([
    loadDesired(engine),
    observe({ podman: engine.podman, caddy: engine.caddy, instance: engine.settings.instance }),
    engine.stores.status.read(),
    engine.stores.pins.read(),
    engine.stores.backupHistory.list().catch(() => []),
  ]);
  // Declared Ports planned as plan and apply plan them: their declarations and links folded in (without a secret
  // store: status generates and writes no secret). A configuration the declarations refuse is plan's to report.
  const ports = desired.state
    ? await resolvePorts({
        podman: engine.podman,
        cache: engine.stores.portDeclarations,
        instance: engine.settings.instance,
        state: desired.state,
        containers: observed.containers,
      }).catch(() => undefined)
    : undefined;
  const state = ports && !ports.diagnostics.some((d) => d.severity === 'error') ? ports.state : desired.state;
  // A secret that is not set is reported by plan/apply; status still shows the rest.
  const digests = state ? await secretDigestsFor(engine, state, pins).catch(() => ({})) : {};
  const plan = state
    ? planFromHistory(engine, {
        stateRepo: state,
        observed,
        history: { pins, secretDigests: digests },
      }).plan
    : undefined;
  const ids = new Set<string>([
    ...(desired.state?.workloads.map((w) => w.id) ?? []),
    ...observed.containers.map((c) => c.labels[LABEL_RESOURCE] ?? ''),
  ]);
  ids.delete('');
  const routes = observed.proxy.state?.routes ?? [];
  const now = new Date();
  const hosts = [...new Set(routes.map((r) => r.host))].sort();
  const certificates =
    engine.settings.tls === 'off' || !opts.certificates
      ? undefined
      : await Promise.all(hosts.map((h) => servedCertificate(engine.settings.httpsAddr, h, now)));
  const runInProgress = await applyLockHeld(engine.settings.dataDir);
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
    return {
      id,
      inStateRepo: desired.state?.workloads.some((w) => w.id === id) ?? false,
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
        ...observedConditions(rec?.conditions ?? [], { container: c ?? null, runInProgress }, now),
        ...backupCondition(ages.get(id)),
      ],
      ...(ages.has(id) && { backup: ages.get(id) }),
      ...(rec?.backoff && {
        backoff: { failures: rec.backoff.failures, retryAt: rec.backoff.retryAt, commit: rec.backoff.commit },
      }),
    };
  });
  return {
    stateRepo: engine.settings.stateRepo,
    branch: engine.settings.branch,
    head: desired.state?.commit,
    lastAppliedCommit: stored.lastAppliedCommit,
    lastAppliedAt: stored.lastAppliedAt,
    lastAttemptedCommit: stored.lastAttemptedCommit,
    lastError: stored.lastError,
    stateErrors: desired.diagnostics.filter((d) => d.severity === 'error').length,
    resources,
    retainedVolumes: plan?.retained.map((r) => r.name) ?? [],
    retainedOwners: Object.fromEntries((plan?.retained ?? []).map((r) => [r.name, r.resource])),
    ...(certificates ? { certificates } : {}),
  };
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
