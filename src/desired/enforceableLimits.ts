// Resource limits this box cannot enforce (rootless Podman on cgroup v1, or v2 without delegation): warnings. Pure.
import type { Diagnostic } from '../model/diagnostics.js';
import { diag, isWorkload } from './located.js';
import type { LocatedResource } from './types.js';

/**
 * One warning per limit a workload sets when `reason` (Settings.limitsNotEnforced) says Podman cannot enforce
 * it: Podman accepts the flags and applies nothing, so without this the limit would be silently lost.
 */
export function checkEnforceableLimits(
  resources: LocatedResource[],
  reason: string | undefined,
): Diagnostic[] {
  if (reason === undefined) return [];
  const out: Diagnostic[] = [];
  for (const lr of resources.filter(isWorkload)) {
    const limits = lr.resource.spec.resources ?? {};
    for (const [field, value] of Object.entries(limits)) {
      if (value === undefined) continue;
      out.push(
        diag(
          lr,
          `spec.resources.${field}`,
          `${field} limit ${value} is not enforced on this box (${reason})`,
          'HIY runs rootless: delegate the cgroup controllers to its user, or run HIY as root (docs/rootless.md); hiy doctor says the same',
          'warning',
        ),
      );
    }
  }
  return out;
}
