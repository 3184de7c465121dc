// What a container is in a plan: its spec view (kept in the hiy.spec label), secret uses, patches and refs. Pure.
import fastJsonPatch from 'fast-json-patch';
import type { ContainerInfo } from '../model/containers.js';
import { LABEL_SECRETS, LABEL_SPEC, stopTimeoutOf } from '../model/labels.js';
import type { DesiredWorkload } from '../model/workload.js';
import type { ContainerRef, SecretUse } from './types.js';

export { LABEL_SECRETS, LABEL_SPEC };

/** The Podman secret holding one variable's value: named after the container, the variable and the digest. */
export function podmanSecretName(containerName: string, env: string, digest: string): string {
  return `${containerName}.${env}.${digest.slice(0, 16)}`;
}

/** The secrets a workload uses, with the salted digest of each value (`unset` when the store has none). */
export function secretUses(w: DesiredWorkload, digests: Record<string, string>): SecretUse[] {
  return Object.keys(w.secretEnv ?? {})
    .sort()
    .map((env) => {
      const ref = w.secretEnv![env]!;
      const digest = digests[ref] ?? 'unset';
      return { name: podmanSecretName(w.containerName, env, digest), env, ref, digest };
    });
}

/** The part of a workload that decides its container, as shown in plans and kept in the hiy.spec label. */
export function containerSpecView(
  w: DesiredWorkload,
  secrets: SecretUse[] = [],
  certificate?: Record<string, string>,
): Record<string, unknown> {
  // Keys in sorted order and no undefined values, so canonicalJson of it is cheap and stable.
  const view: Record<string, unknown> = {};
  if (w.args) view.args = w.args;
  // The certificate's host and digest, or its folder with a reload hook (never the key): plan/certificates.ts.
  if (certificate) view.certificate = certificate;
  if (w.command) view.command = w.command;
  if (w.cpus !== undefined) view.cpus = w.cpus;
  view.env = sortedRecord(w.env);
  view.image = w.image;
  view.internalPorts = w.internalPorts;
  if (w.memoryBytes !== undefined) view.memoryBytes = w.memoryBytes;
  view.ports = w.ports.map((p) =>
    p.hostIP === undefined
      ? { containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol }
      : { containerPort: p.containerPort, hostIP: p.hostIP, hostPort: p.hostPort, protocol: p.protocol },
  );
  view.restart = w.restart;
  // Only salted digests: a plan shows that a secret changed, never its value.
  if (secrets.length > 0)
    view.secretEnv = Object.fromEntries(secrets.map((s) => [s.env, `hmac:${s.digest}`]));
  view.stopGraceSeconds = w.stopGraceSeconds;
  view.volumes = w.volumes.map((v) => ({
    mountPath: v.mountPath,
    readOnly: v.readOnly,
    volume: v.volumeName,
  }));
  return view;
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}

/** Drops undefined values from a flat object, so a plan is plain JSON without a deep copy. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** The spec view an observed container was created with (its hiy.spec label), or null. */
export function observedSpecView(c: ContainerInfo): Record<string, unknown> | null {
  const text = c.labels[LABEL_SPEC];
  if (!text) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** RFC 6902 patch from before to after; empty when either is not an object. */
export function diff(before: unknown, after: unknown): fastJsonPatch.Operation[] {
  if (before === null || after === null || typeof before !== 'object' || typeof after !== 'object') return [];
  return fastJsonPatch.compare(before as object, after as object);
}

/** Names the changed fields of a patch for a reason line: `env.GREETING, image`. */
export function changedFields(patch: fastJsonPatch.Operation[]): string {
  const fields = [...new Set(patch.map((op) => op.path.slice(1).split('/').slice(0, 2).join('.')))];
  return fields.length > 0 ? fields.join(', ') : 'spec';
}

/** An observed container as actions refer to it. */
export function toRef(c: ContainerInfo): ContainerRef {
  return { name: c.name, id: c.id, stopTimeoutSeconds: stopTimeoutOf(c.labels) };
}
