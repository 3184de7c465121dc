// What a verb's handler over SSH gets and returns (push/sshVerbs.ts, push/sshReportVerbs.ts).
import type { VerbRequest } from '../drivers/ssh/verbCommand.js';
import type { Engine } from '../engine/engine.js';
import type { UserResource } from '../model/resources.js';

/** What a verb's handler gets: the engine, who is asking, and the session's streams. */
export interface SshVerbContext {
  engine: Engine;
  user: UserResource;
  request: VerbRequest;
  /** The resource id the name resolved to and the grant was checked on (`app/blog`); what the verb acts on. */
  resource: string;
  /** Whether the session has a terminal (`ssh -t`). */
  pty: boolean;
  out(text: string): void;
  err(text: string): void;
}

/** One verb's handler: the exit code for the ssh client. */
export type Handler = (ctx: SshVerbContext) => Promise<number>;
