// What `hiy export kube` reads (the effective desired state at a commit) and what it writes (files, warnings).
import type { LocatedResource } from '../desired/types.js';
import type { TlsMode } from '../model/settings.js';
import type { DesiredWorkload } from '../model/workload.js';

/** A volume's latest verified snapshot, copied next to the manifests by `--with-data`. */
export interface DataArchive {
  /** The PersistentVolumeClaim (and Podman volume) it fills. */
  claim: string;
  /** Path of the archive inside the export directory (`data/CLAIM.tar`). */
  file: string;
  sha256: string;
  bytes: number;
  files: number;
  snapshotId: string;
}

/** Everything the pure export needs. */
export interface KubeExportInput {
  /** The state repo commit exported (`worktree` for uncommitted files). */
  commit: string;
  /** The effective resources (port declarations folded in), as the planner sees them. */
  resources: LocatedResource[];
  /** The effective workloads (links resolved into env and secretEnv). */
  workloads: DesiredWorkload[];
  /** HIY's TLS mode, mapped to cert-manager on the Ingresses. */
  tls: TlsMode;
  /** cert-manager ClusterIssuer named on the Ingresses when TLS is on (default `letsencrypt`/`hiy-internal-ca`). */
  clusterIssuer?: string;
  /** The box's time zone (IANA), for CronJobs: HIY's schedules are in local time. */
  timeZone?: string;
  /** Namespace of the cluster's ingress controller (k3s: kube-system), allowed in by the NetworkPolicies. */
  ingressNamespace?: string;
  /** Secret values by HIY secret name: only with `--with-secret-values`. */
  secretValues?: ReadonlyMap<string, string>;
  /** Volume data by claim name: only with `--with-data`. */
  data?: ReadonlyMap<string, DataArchive>;
}

/** Something in the state repo the export cannot express: never silently dropped. */
export interface ExportWarning {
  /** `port/web` */
  resource: string;
  /** The field path in the resource (`spec.restart`). */
  field: string;
  message: string;
}

/** A file of the export, relative to the output directory. */
export interface ExportFile {
  path: string;
  text: string;
  /** File mode (0o600 for files holding secret values, 0o755 for scripts). */
  mode: number;
}

export interface KubeExport {
  files: ExportFile[];
  warnings: ExportWarning[];
  /** Every manifest, as objects, for validation. */
  manifests: KubeObject[];
}

/** A Kubernetes object as written: apiVersion, kind, metadata.name and the rest. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}
