// Who may do what with an App: a User's grants (`view` < `deploy` < `admin`, app `*` for all) resolved to a role. Pure.
import type { UserResource } from './resources.js';

export type Role = 'view' | 'deploy' | 'admin';

const RANK: Record<Role, number> = { view: 1, deploy: 2, admin: 3 };

/** The highest role `user` has on `app` (a grant on `*` counts for every app), or undefined for none. */
export function roleOn(user: UserResource, app: string): Role | undefined {
  let best: Role | undefined;
  for (const g of user.spec.grants) {
    if (g.app !== app && g.app !== '*') continue;
    if (!best || RANK[g.role] > RANK[best]) best = g.role;
  }
  return best;
}

/** True when `role` includes `needed` (admin includes deploy includes view). */
export function allows(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}

/** True when the user holds `needed` on every one of `apps` (and there is at least one). */
export function allowedOnAll(user: UserResource, apps: string[], needed: Role): boolean {
  return apps.length > 0 && apps.every((a) => allows(roleOn(user, a), needed));
}

/**
 * The state repo governs everything (users and grants included), so reading it needs `view` on `*` and
 * pushing it needs `admin` on `*`; a grant on one app never reaches it.
 */
export function stateRepoAccess(user: UserResource): Role | undefined {
  let best: Role | undefined;
  for (const g of user.spec.grants) {
    if (g.app === '*' && (!best || RANK[g.role] > RANK[best])) best = g.role;
  }
  return best;
}
