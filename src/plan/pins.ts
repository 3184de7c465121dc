// Pins in a plan: a pinned resource's release replaces the state repo's version until the state repo changes it.
import type { DesiredState } from '../desired/types.js';
import type { Pin } from '../model/status.js';
import { workloadHash } from '../model/workload.js';
import type { PinNote } from './types.js';

/** What a pin means for one plan: applied (the resource keeps its release), or lifted by a state repo change. */
export type PinEffect = PinNote;

/**
 * Swaps pinned resources' workloads into the desired state. A pin whose resource the state repo changed since
 * (or removed) is lifted: the state repo wins again. Pure.
 */
export function applyPins(
  desired: DesiredState,
  pins: Record<string, Pin>,
): { desired: DesiredState; effects: PinEffect[] } {
  const effects: PinEffect[] = [];
  const workloads = desired.workloads.map((w) => {
    const pin = pins[w.id];
    if (!pin) return w;
    const pinned = pin.ignoredHash === workloadHash(w);
    effects.push({
      resource: pin.resource,
      release: pin.release,
      ignoredCommit: pin.ignoredCommit,
      pinnedAt: pin.pinnedAt,
      state: pinned ? 'pinned' : 'lifted',
    });
    return pinned ? pin.workload : w;
  });
  for (const pin of Object.values(pins)) {
    if (!desired.workloads.some((w) => w.id === pin.resource)) {
      effects.push({
        resource: pin.resource,
        release: pin.release,
        ignoredCommit: pin.ignoredCommit,
        pinnedAt: pin.pinnedAt,
        state: 'lifted',
      });
    }
  }
  return { desired: { ...desired, workloads }, effects };
}
