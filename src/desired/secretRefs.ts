// The secrets a desired state refers to (secretEnv, routes' tls.certificate): each must be set on the box; their salted digests go into plans.
import type { Diagnostic } from '../model/diagnostics.js';
import { resourceId } from '../model/names.js';
import type { DesiredWorkload } from '../model/workload.js';
import type { SecretSource } from '../store/secrets.js';
import { diagnosticAt } from './located.js';
import type { LocatedResource } from './types.js';

/** The digest a secret apply is still to generate plans with (its value does not exist yet). */
export const PENDING_DIGEST = 'pending';

/**
 * Digests of every secret the workloads use (by secret name), and a diagnostic per secret not set — located in
 * the state repo when the workload comes from it (a pinned release's workload may not). `pending` holds the
 * secrets apply writes before its actions: the value to be written (digested as such), or undefined while it
 * does not exist yet (PENDING_DIGEST).
 */
export async function digestSecrets(
  workloads: DesiredWorkload[],
  located: LocatedResource[],
  source: SecretSource,
  pending: ReadonlyMap<string, string | undefined> = new Map(),
): Promise<{ digests: Record<string, string>; diagnostics: Diagnostic[] }> {
  const digests: Record<string, string> = {};
  const missing = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  // Built at the first secret not set: one lookup per problem, not a scan of every resource (first one kept).
  let byId: Map<string, LocatedResource> | undefined;
  const locate = (id: string) => {
    if (!byId) {
      byId = new Map();
      for (const l of located) {
        const key = resourceId(l.resource.kind, l.resource.metadata.name);
        if (!byId.has(key)) byId.set(key, l);
      }
    }
    return byId.get(id);
  };
  for (const w of workloads) {
    const uses: [path: string, name: string][] = [
      ...Object.entries(w.secretEnv ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([env, name]): [string, string] => [`spec.secretEnv.${env}`, name]),
      ...w.routes.flatMap((r, i): [string, string][] =>
        r.tls ? [[`spec.routes[${i}].tls.certificate`, r.tls.certificate]] : [],
      ),
    ];
    for (const [path, name] of uses) {
      if (name in digests) continue;
      if (pending.has(name)) {
        const v = pending.get(name);
        digests[name] = v === undefined ? PENDING_DIGEST : await source.digest(v);
        continue;
      }
      const value = missing.has(name) ? undefined : await source.value(name);
      if (value !== undefined) {
        digests[name] = await source.digest(value);
        continue;
      }
      missing.add(name);
      const lr = locate(w.id);
      diagnostics.push(
        diagnosticAt(lr, path, {
          summary: `secret "${name}" is not set`,
          detail: `set it on this box with: hiy secret set ${name} < FILE (values never go in the state repo)`,
          resource: w.id,
        }),
      );
    }
  }
  return { digests, diagnostics };
}
