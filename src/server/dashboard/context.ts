// What every dashboard page and action gets: the engine and controller, the user stores, the signed-in viewer.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SignInLimiter } from '../../access/signInLimit.js';
import type { Engine } from '../../engine/engine.js';
import type { Controller } from '../../model/events.js';
import type { UserResource } from '../../model/resources.js';
import type { AuditLog } from '../../store/audit.js';
import type { LoginLinkStore } from '../../store/loginLinks.js';
import type { PasskeyStore } from '../../store/passkeys.js';
import type { SessionStore } from '../../store/sessions.js';
import type { UserDirectory } from '../auth.js';

export interface DashboardContext {
  engine: Engine;
  controller: Controller;
  audit: AuditLog;
  logger: Logger;
  users: UserDirectory;
  sessions: SessionStore;
  links: LoginLinkStore;
  passkeys: PasskeyStore;
  limiter: SignInLimiter;
  /** Key of the CSRF tokens (HMAC of the session id); a restart only asks open forms to be reloaded. */
  csrfKey: Buffer;
  /** WebAuthn challenges handed out and not yet answered, by id. */
  challenges: Map<string, { challenge: string; user?: string; expires: number }>;
}

/** The signed-in person on a request. */
export interface Viewer {
  user: UserResource;
  sessionId: string;
  csrf: string;
  /** The client address, for the audit log. */
  address: string;
}

export function createDashboardContext(base: {
  engine: Engine;
  controller: Controller;
  audit: AuditLog;
  logger: Logger;
  users: UserDirectory;
}): DashboardContext {
  const { sessions, links, passkeys } = base.engine.stores;
  return {
    ...base,
    sessions,
    links,
    passkeys,
    limiter: new SignInLimiter(),
    csrfKey: randomBytes(32),
    challenges: new Map(),
  };
}
