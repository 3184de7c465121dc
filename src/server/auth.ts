// Bearer-token authentication against the token store, and the grant check of the state repo's User resources.
import type { IncomingMessage } from 'node:http';
import { pruneDashboardAccess } from '../access/dashboardAccess.js';
import { isAllowed, type Operation } from '../access/grants.js';
import { loadAccess } from '../access/stateAccess.js';
import type { Engine } from '../engine/engine.js';
import type { UserResource } from '../model/resources.js';
import { HttpError } from './http.js';

/** The caller of a request, once authenticated. */
export interface Caller {
  user: UserResource;
  tokenId: string;
}

/**
 * Finds users in the state repo at its head commit, read file by file (loadAccess): an unrelated invalid file
 * does not hide the Users that are valid, and a User removed by the head commit is gone at once, whether or not
 * that commit applies. Nobody is found while the state repo cannot be read at all. Cached per head commit; a
 * new head also drops the sessions, passkeys and sign-in links of users it does not hold (as an apply does), so
 * they stay gone should the name come back later.
 */
export class UserDirectory {
  private cached: { commit: string; users: Map<string, UserResource> } | undefined;
  constructor(private readonly engine: Pick<Engine, 'settings' | 'git' | 'stores'>) {}

  async find(name: string): Promise<UserResource | undefined> {
    return (await this.all())?.get(name);
  }

  /** The Users of the head commit, or undefined when the state repo cannot be read. */
  private async all(): Promise<Map<string, UserResource> | undefined> {
    const { settings, git } = this.engine;
    try {
      const head = await git.resolveBranch(settings.stateRepo, settings.branch);
      if (this.cached?.commit !== head) {
        const access = await loadAccess(settings, git);
        this.cached = { commit: access.commit, users: access.users };
        await pruneDashboardAccess(this.engine.stores, [...access.users.values()]).catch(() => undefined);
      }
      return this.cached.users;
    } catch {
      return undefined;
    }
  }
}

export class Authenticator {
  private readonly tokens: Engine['stores']['tokens'];
  constructor(
    engine: Engine,
    private readonly users: UserDirectory,
  ) {
    this.tokens = engine.stores.tokens;
  }

  /** The caller, or a 401 when the token is missing, malformed, unknown, or its user no longer exists. */
  async authenticate(req: IncomingMessage): Promise<Caller> {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new HttpError(401, 'UNAUTHENTICATED', 'give an API token: Authorization: Bearer TOKEN');
    const record = await this.tokens.verify(m[1]!);
    if (!record)
      throw new HttpError(401, 'UNAUTHENTICATED', 'the API token is not valid (revoked or mistyped?)');
    const user = await this.users.find(record.user);
    if (!user) {
      throw new HttpError(401, 'UNAUTHENTICATED', `user ${record.user} is not in the state repo any more`);
    }
    return { user, tokenId: record.id };
  }
}

/** Throws 403 unless the caller may perform `op` on `resource`. */
export function requireGrant(caller: Caller, op: Operation, resource: string): void {
  if (!isAllowed(caller.user, op, resource)) {
    throw new HttpError(
      403,
      'FORBIDDEN',
      `user ${caller.user.metadata.name} may not ${op} ${resource === '*' ? 'everything' : resource}`,
    );
  }
}
