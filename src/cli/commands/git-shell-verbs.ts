// `hiy git-shell USER` for the everyday-operation verbs (logs, config, restart, run, exec, job run): parse
// strictly, refuse before touching anything, check the grant, write one audit line, run the verb.

import { parseVerbCommand } from '../../drivers/ssh/verbCommand.js';
import { errorMessage } from '../../model/errors.js';
import type { Settings } from '../../model/settings.js';
import type { CliDeps } from '../context.js';
import { auditSshDecision, openGate, refuser } from './sshGate.js';

/** Runs one verb request from SSH_ORIGINAL_COMMAND for `user`; the exit code goes back to the ssh client. */
export async function runSshVerb(
  deps: CliDeps,
  settings: Settings,
  user: string,
  command: string,
  pty: boolean,
): Promise<number> {
  const refuse = refuser(deps);
  const parsed = parseVerbCommand(command);
  if (!parsed.ok) return refuse(parsed.reason);
  const { request, spec } = parsed;
  // Only now: what a refused command never needs (the state repo's reader, the engine's drivers).
  const [gate, { authorizeVerb, auditDetail, VERB_HANDLERS }] = await Promise.all([
    openGate(deps, settings),
    import('../../push/sshVerbs.js'),
  ]);
  if ('refused' in gate) return refuse(gate.refused);
  const { engine, access } = gate;
  const decision = authorizeVerb(request, spec, user, access, pty);
  await auditSshDecision(deps, engine, {
    actor: user,
    action: `ssh.${request.verb}`,
    target: decision.resource ?? request.name,
    ok: decision.ok,
    detail: decision.ok ? auditDetail(request) : decision.message,
  });
  if (!decision.ok) return refuse(decision.message);
  const handler = VERB_HANDLERS[request.verb];
  if (!handler) return refuse(`refused: ${request.verb} is not served here`);
  try {
    return await handler({
      engine,
      user: decision.user,
      request,
      resource: decision.resource,
      pty,
      out: deps.io.out,
      err: deps.io.err,
    });
  } catch (err) {
    return refuse(`${request.verb} failed: ${errorMessage(err)}`);
  }
}
