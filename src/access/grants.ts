// Who may do what: one grant check shared by the HTTP API and SSH pushes, from the User resources' grants.
import { parseResourceId } from '../model/names.js';
import type { UserResource } from '../model/resources.js';

export type Role = 'view' | 'deploy' | 'admin';

const RANK: Record<Role, number> = { view: 1, deploy: 2, admin: 3 };

/**
 * The role each operation needs, on the resource it is about. Everything else (secrets, tokens, users) is
 * managed on the box itself and not over HTTP.
 */
export const REQUIRED_ROLE = {
  /** Reading status, releases, snapshots, plan lines and events of a resource. */
  read: 'view',
  /** Starting a reconcile (it only converges to what is committed), taking a snapshot, pushing an App. */
  reconcile: 'deploy',
  snapshot: 'deploy',
  push: 'deploy',
  /** Stopping a build of a push (`hiy build cancel`): whoever may push the App may stop its build. */
  cancelBuild: 'deploy',
  /** Redeploying an older release (and possibly its data, or restoring a snapshot) of a resource one deploys. */
  rollback: 'deploy',
  /** A new container of the same spec (`hiy restart`, `ssh hiy@box restart`, the API, the dashboard). */
  restart: 'deploy',
  /** Ending a rollback's pin (`hiy unpin`): the state repo's version applies again; as rolling back. */
  unpin: 'deploy',
  /** Administering the box: users, tokens and sessions, whole-YAML edits, applying the whole plan. */
  administer: 'admin',
} as const satisfies Record<string, Role>;

export type Operation = keyof typeof REQUIRED_ROLE;

/**
 * The highest role `user` holds on `resource` (`app/blog`, `port/db`, or `*` for the whole box), or undefined.
 * A grant names an App (`app: blog`) or every resource (`app: '*'`); Ports, being shared infrastructure, are
 * reachable only through `*` grants.
 */
export function roleOn(user: UserResource | undefined, resource: string): Role | undefined {
  if (!user) return undefined;
  const parsed = resource === '*' ? undefined : parseResourceId(resource);
  let best: Role | undefined;
  for (const g of user.spec.grants) {
    const applies = g.app === '*' || (parsed?.kind === 'App' && parsed.name === g.app);
    if (applies && (!best || RANK[g.role] > RANK[best])) best = g.role;
  }
  return best;
}

/** True when `user` may perform `op` on `resource`. */
export function isAllowed(user: UserResource | undefined, op: Operation, resource: string): boolean {
  const role = roleOn(user, resource);
  return role !== undefined && RANK[role] >= RANK[REQUIRED_ROLE[op]];
}

/** True when `user` holds at least `role` on some resource (a reconcile needs deploy on anything). */
export function hasAnyRole(user: UserResource | undefined, role: Role): boolean {
  return (user?.spec.grants ?? []).some((g) => RANK[g.role] >= RANK[role]);
}

/** True when `user` holds at least `role` on `resource` (the SSH verbs name their role directly). */
export function hasRole(user: UserResource | undefined, resource: string, role: Role): boolean {
  const held = roleOn(user, resource);
  return held !== undefined && RANK[held] >= RANK[role];
}
