// What every request through the ssh account's forced command shares once its words parsed: the engine, the
// state repo's Users and Apps (read leniently), and one audit line per grant decision. Light to import: the
// state repo's reader loads only when a request got this far.

import type { Access } from '../../access/stateAccess.js';
import type { Engine } from '../../engine/engine.js';
import { errorMessage } from '../../model/errors.js';
import type { Settings } from '../../model/settings.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';

/** Prints `hiy: MESSAGE` on stderr and gives the exit code of a refusal. */
export function refuser(deps: CliDeps): (message: string) => number {
  return (message) => {
    deps.io.err(`hiy: ${message}\n`);
    return EXIT.error;
  };
}

/** The engine and the state repo's access rules, or why the state repo cannot be read. */
export async function openGate(
  deps: CliDeps,
  settings: Settings,
): Promise<{ engine: Engine; access: Access } | { refused: string }> {
  const { loadAccess } = await import('../../access/stateAccess.js');
  const engine = await deps.makeEngine(settings);
  try {
    return { engine, access: await loadAccess(settings, engine.git) };
  } catch (err) {
    return { refused: `cannot read the state repo: ${errorMessage(err)}` };
  }
}

/**
 * One audit line for a grant decision over ssh, with the client's address; a failed write is logged, never
 * fatal (the decision stands either way).
 */
export async function auditSshDecision(
  deps: CliDeps,
  engine: Engine,
  entry: { actor: string; action: string; target?: string; ok: boolean; detail?: string },
): Promise<void> {
  const from = deps.io.env.SSH_CLIENT?.split(' ')[0];
  const detail = [entry.detail, from && `from ${from}`].filter(Boolean).join('; ');
  await engine.stores.audit
    .append({
      actor: entry.actor,
      via: 'ssh',
      action: entry.action,
      ...(entry.target !== undefined && { target: entry.target }),
      result: entry.ok ? 'ok' : 'denied',
      ...(detail && { detail }),
    })
    .catch((err: Error) => engine.logger.error({ error: err.message }, 'could not write the audit log'));
}
