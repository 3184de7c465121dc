// What the dashboard keeps per user (sessions, passkeys, sign-in links) follows the Users of each applied state.
import type { UserResource } from '../model/resources.js';
import type { Stores } from '../store/index.js';

/** Drops the sessions, passkeys and sign-in links of users no longer in the state repo; how many of each. */
export async function pruneDashboardAccess(
  stores: Pick<Stores, 'sessions' | 'passkeys' | 'links'>,
  users: UserResource[],
): Promise<{ sessions: number; passkeys: number; links: number }> {
  const names = new Set(users.map((u) => u.metadata.name));
  return {
    sessions: await stores.sessions.keepOnly(names),
    passkeys: await stores.passkeys.keepOnly(names),
    links: await stores.links.keepOnly(names),
  };
}
