// A Port's `tls.certificateFor` in its plan: what of Caddy's certificate decides its container, and when a
// renewal is delivered to the running container by its port's reload hook instead of replacing it. Pure.
import type { ContainerInfo } from '../model/containers.js';
import { LABEL_CERTIFICATE } from '../model/labels.js';
import type { HostCertificate } from '../model/routing.js';
import type { ServedCertificate } from '../model/status.js';
import type { DesiredWorkload } from '../model/workload.js';
import { toRef } from './containerSpec.js';
import type { CertificateReload, HookRef } from './types.js';

/** How the certificate of a workload's `tls.certificateFor` host enters its container. */
export interface CertificateUse {
  host: string;
  /** The certificate Caddy holds for the host; absent before its first issuance. */
  held?: HostCertificate;
  /** The port declares a reload hook: a renewal is reloaded by the running container, not a replace. */
  reloads: boolean;
  /** The spec view's `certificate` (in plans and the hiy.spec label). */
  view: Record<string, string>;
  /** What of the certificate joins the spec hash: a change of it replaces the container. */
  hashPart: string;
  /** Labels of the container: the digest of the certificate it starts with (with a reload hook only). */
  labels: Record<string, string>;
}

/** The digest of a held certificate as plans show it, `pending` before the first issuance. */
function digestOf(held: HostCertificate | undefined): string {
  return held ? `sha256:${held.digest}` : 'pending';
}

/**
 * How `w` uses the certificate Caddy holds for its `tls.certificateFor` host (undefined without one). Without a
 * reload hook the certificate's digest is part of the container's spec: a renewal replaces the container (the
 * new one starts with the new files). With one, only the mounted folder is (Caddy's storage folder of the host,
 * or `pending` before the first issuance): a renewal writes new files into that folder, which the running
 * container sees through its bind mount, so the container stays and the plan asks it to reload instead.
 */
export function certificateUse(
  w: DesiredWorkload,
  hostCertificates: Readonly<Record<string, HostCertificate>> | undefined,
): CertificateUse | undefined {
  const host = w.certificateFor;
  if (!host) return undefined;
  const held = hostCertificates?.[host];
  const digest = digestOf(held);
  if (!w.port?.hooks.reload)
    return {
      host,
      ...(held && { held }),
      reloads: false,
      view: { host, digest },
      hashPart: digest,
      labels: {},
    };
  const folder = held?.dir ?? 'pending';
  return {
    host,
    ...(held && { held }),
    reloads: true,
    view: { folder, host },
    hashPart: `folder:${folder}`,
    labels: held ? { [LABEL_CERTIFICATE]: digest } : {},
  };
}

/**
 * The digest of the certificate a running container serves: the last reload recorded for this very container
 * (status, by container id), else the one it started with (its hiy.certificate label); undefined when unknown.
 */
export function servedDigest(
  current: ContainerInfo,
  served: ServedCertificate | undefined,
): string | undefined {
  if (served && served.container === current.id) return served.digest;
  return current.labels[LABEL_CERTIFICATE];
}

/**
 * The reload of a renewed certificate by the running container `current` (kept, not replaced): planned when the
 * port reloads, Caddy holds a certificate, and it is not the one the container serves. The caller plans it
 * only for a running container that is neither replaced nor started.
 */
export function certificateReload(
  w: DesiredWorkload,
  use: CertificateUse,
  current: ContainerInfo,
  served: ServedCertificate | undefined,
  hook: { reload: HookRef; secrets: string[] },
): CertificateReload | undefined {
  const { reload, secrets } = hook;
  if (!use.reloads || !use.held) return undefined;
  const digest = digestOf(use.held);
  const was = servedDigest(current, served);
  if (was === digest) return undefined;
  return {
    kind: 'certificate.reload',
    address: `certificate/${w.containerName}`,
    change: 'update',
    resource: w.id,
    reason: `Caddy holds a new certificate for ${use.host}; ${current.name} keeps running and reloads it (reload hook of ${reload.port})`,
    container: toRef(current),
    host: use.host,
    digest,
    reload,
    ...(secrets.length > 0 && { secrets }),
    patch: [{ op: 'replace', path: '/digest', value: digest }],
    before: { host: use.host, digest: was ?? 'unknown' },
    after: { host: use.host, digest },
  };
}
