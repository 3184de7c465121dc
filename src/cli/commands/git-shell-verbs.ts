// `hiy git-shell USER` for the everyday-operation verbs (logs, config, restart, run, exec, job run): parse
// strictly, refuse before touching anything, check the grant, write one audit line, run the verb.
import { AuditLog } from '../../access/audit.js';
import { parseVerbCommand } from '../../drivers/ssh/verbCommand.js';
import type { Settings } from '../../model/settings.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';

/** Runs one verb request from SSH_ORIGINAL_COMMAND for `user`; the exit code goes back to the ssh client. */
export async function runSshVerb(
  deps: CliDeps,
  settings: Settings,
  user: string,
  command: string,
  pty: boolean,
): Promise<number> {
  const refuse = (message: string) => {
    deps.io.err(`hiy: ${message}\n`);
    return EXIT.error;
  };
  const parsed = parseVerbCommand(command);
  if (!parsed.ok) return refuse(parsed.reason);
  const { request, spec } = parsed;
  // Only now: what a refused command never needs (the state repo's reader, the engine's drivers).
  const [{ loadAccess }, { authorizeVerb, auditDetail, VERB_HANDLERS }] = await Promise.all([
    import('../../access/stateAccess.js'),
    import('../../push/sshVerbs.js'),
  ]);
  const engine = await deps.makeEngine(settings);
  let access: Awaited<ReturnType<typeof loadAccess>>;
  try {
    access = await loadAccess(settings, engine.git);
  } catch (err) {
    return refuse(`cannot read the state repo: ${(err as Error).message}`);
  }
  const decision = authorizeVerb(request, spec, user, access, pty);
  const from = deps.io.env.SSH_CLIENT?.split(' ')[0];
  const detail = [decision.ok ? auditDetail(request) : decision.message, from && `from ${from}`]
    .filter(Boolean)
    .join('; ');
  await new AuditLog(settings.dataDir)
    .append({
      actor: user,
      via: 'ssh',
      action: `ssh.${request.verb}`,
      target: decision.resource ?? request.name,
      result: decision.ok ? 'ok' : 'denied',
      ...(detail && { detail }),
    })
    .catch((err: Error) => engine.logger.error({ error: err.message }, 'could not write the audit log'));
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
    return refuse(`${request.verb} failed: ${(err as Error).message}`);
  }
}
