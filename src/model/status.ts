// What HIY records about each resource between runs: conditions, backoff, pins. Types only; src/store persists them.
import type { DesiredWorkload } from './workload.js';

/** What is remembered about a resource that failed (persisted in status.json). */
export interface BackoffState {
  /** Fingerprint of the desired resource that failed (see desiredFingerprint). */
  fingerprint: string;
  /** Failures in a row for this fingerprint. */
  failures: number;
  lastFailureAt: string;
  /** Not retried by the daemon before this time (ISO 8601). */
  retryAt: string;
  /** State commit of the last failed attempt. */
  commit: string;
}

/**
 * Kubernetes-style condition types of a resource. Ready, Reconciling and Stalled are always recorded;
 * LimitsEnforced only when the resource sets a limit this box cannot enforce (rootless Podman on cgroup v1, or v2
 * without delegation), then `False` (NotEnforced). `CertificateReady` is never stored: status views that probe the
 * TLS handshake of each route host (`hiy status`, the whole-box API) add it to a resource with routes. `Building`
 * is shown while a push builds the App. `BackupStale` is never stored: the status view derives it from the backup
 * history (no successful backup for longer than twice the Backup's schedule).
 */
export type ConditionType =
  | 'Ready'
  | 'Reconciling'
  | 'Stalled'
  | 'LimitsEnforced'
  | 'CertificateReady'
  | 'Building'
  | 'BackupStale';

/**
 * Why a condition has its status: a CamelCase constant tools may match on (the message is for people).
 * Ready: Applied, ApplyFailed, BackingOff, Blocked, NotRunning, ContainerMissing, WaitingForPush.
 * Reconciling: Applying, Idle, Deferred, Interrupted (the run was killed), Failed (it threw before recording).
 * Stalled: BackingOff, Retrying, Converged. LimitsEnforced: NotEnforced. CertificateReady: Served, ExpiresSoon,
 * NoCertificate. Building: Queued, Building, Deploying. BackupStale: NoRecentBackup, BackedUp.
 */
export type ConditionReason =
  | 'Applied'
  | 'ApplyFailed'
  | 'BackingOff'
  | 'Blocked'
  | 'NotRunning'
  | 'ContainerMissing'
  | 'WaitingForPush'
  | 'Applying'
  | 'Idle'
  | 'Deferred'
  | 'Interrupted'
  | 'Failed'
  | 'Retrying'
  | 'Converged'
  | 'NotEnforced'
  | 'Served'
  | 'ExpiresSoon'
  | 'NoCertificate'
  | 'Queued'
  | 'Building'
  | 'Deploying'
  | 'NoRecentBackup'
  | 'BackedUp';

/** One condition: `Ready=True (Applied)`, `Stalled=True (BackingOff)`… with a message for humans. */
export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: ConditionReason;
  message: string;
  /** When `status` last changed. */
  lastTransitionTime: string;
}

export interface ResourceRecord {
  lastAppliedCommit?: string;
  lastAppliedAt?: string;
  /** State commit of the last run that tried to converge this resource (applied or not). */
  lastAttemptedCommit?: string;
  lastAttemptedAt?: string;
  specHash?: string;
  /** desiredFingerprint of what was last applied (drift at an unchanged fingerprint is "drift corrected"). */
  fingerprint?: string;
  image?: string;
  lastError?: string;
  conditions?: Condition[];
  /** Set while the resource is failing: the daemon does not retry the same spec before `retryAt`. */
  backoff?: BackoffState;
  /** The certificate its running container was last told to reload (a Port's `tls.certificateFor`). */
  certificate?: ServedCertificate;
}

/**
 * A certificate delivered to a running container by its port's reload hook: the container (by id: a new one
 * starts with the files as they are, recorded in its `hiy.certificate` label) and the certificate's digest.
 */
export interface ServedCertificate {
  container: string;
  digest: string;
}

export interface StoredStatus {
  lastAppliedCommit?: string;
  lastAppliedAt?: string;
  lastAttemptedCommit?: string;
  lastAttemptedAt?: string;
  lastError?: string;
  resources: Record<string, ResourceRecord>;
}

/** A resource rolled back by `hiy rollback`, kept on its release until the state repo changes it. */
export interface Pin {
  resource: string;
  /** The release the resource is pinned to. */
  release: number;
  /** The workload of that release: what the planner uses instead of the state repo's. */
  workload: DesiredWorkload;
  /** Hash of the state repo's version of the resource when pinned; a different one lifts the pin. */
  ignoredHash: string;
  /** State repo commit whose version of the resource the pin ignores. */
  ignoredCommit: string;
  pinnedAt: string;
  withData: boolean;
}
