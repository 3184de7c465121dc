// What the dashboard keeps per user (sessions, passkeys, sign-in links) follows the Users of each applied state.
import type { UserResource } from '../model/resources.js';
import { LoginLinkStore } from './loginLinks.js';
import { PasskeyStore } from './passkeys.js';
import { SessionStore } from './sessions.js';

/** Drops the sessions, passkeys and sign-in links of users no longer in the state repo; how many of each. */
export async function pruneDashboardAccess(
  dataDir: string,
  users: UserResource[],
): Promise<{ sessions: number; passkeys: number; links: number }> {
  const names = new Set(users.map((u) => u.metadata.name));
  return {
    sessions: await new SessionStore(dataDir).keepOnly(names),
    passkeys: await new PasskeyStore(dataDir).keepOnly(names),
    links: await new LoginLinkStore(dataDir).keepOnly(names),
  };
}
