// Bearer-token authentication against the token store, and the grant check of the state repo's User resources.
import type { IncomingMessage } from 'node:http';
import { isAllowed, type Operation } from '../access/grants.js';
import type { Engine } from '../engine/engine.js';
import { loadDesired } from '../engine/engine.js';
import type { UserResource } from '../model/resources.js';
import { HttpError } from './http.js';

/** The caller of a request, once authenticated. */
export interface Caller {
  user: UserResource;
  tokenId: string;
}

/**
 * Finds users in the state repo at its head. While the state repo is invalid the users of the last valid
 * commit are used, so a broken commit does not lock everyone out of the API that would show what is wrong.
 */
export class UserDirectory {
  private lastGood: UserResource[] = [];
  constructor(private readonly engine: Engine) {}

  async find(name: string): Promise<UserResource | undefined> {
    const result = await loadDesired(this.engine).catch(() => undefined);
    if (result?.state) this.lastGood = result.state.users;
    return this.lastGood.find((u) => u.metadata.name === name);
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
