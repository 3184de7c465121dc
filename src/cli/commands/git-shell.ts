// `hiy git-shell USER`: the forced command of every HIY ssh key. Runs git-receive-pack / git-upload-pack on one
// allowed repository, after checking the request and the user's grant; refuses everything else in one line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runGitService } from '../../drivers/git/service.js';
import { parseGitCommand, quoteUntrusted } from '../../drivers/ssh/gitCommand.js';
import { isVerbCommand } from '../../drivers/ssh/verbCommand.js';
import { DNS_LABEL } from '../../model/names.js';
import { selfCommand, settingsEnv } from '../../push/self.js';
import type { CommandRun } from '../command.js';
import { EXIT } from '../context.js';
import { auditSshDecision, openGate, refuser } from './sshGate.js';

export const run: CommandRun = async (deps, settings, ctx) => {
  const refuse = refuser(deps);
  const user = ctx.args[0];
  if (!user || !DNS_LABEL.test(user))
    return refuse(`git-shell needs a user name, not ${quoteUntrusted(user ?? '')}`);
  // `ssh hiy@box login`: a one-time sign-in link of the dashboard for the user whose key logged in.
  if (deps.io.env.SSH_ORIGINAL_COMMAND?.trim() === 'login') {
    const { signInOverSsh } = await import('../../push/gitShell.js');
    const engine = await deps.makeEngine(settings);
    const r = await signInOverSsh(
      settings,
      engine.git,
      engine.stores,
      user,
      deps.io.env.SSH_CLIENT?.split(' ')[0],
    );
    if (!r.ok) return refuse(r.message);
    deps.io.out(r.text);
    return EXIT.ok;
  }
  // Checked before anything touches the file system.
  // A terminal (ssh -t; the keys allow one for exec and run) shows as a TTY on stdin, through sudo too.
  const pty = Boolean(process.stdin.isTTY);
  // The everyday-operation verbs (logs, config, restart, run, exec, job run) have their own strict parser.
  const original = deps.io.env.SSH_ORIGINAL_COMMAND;
  if (isVerbCommand(original))
    return (await import('./git-shell-verbs.js')).runSshVerb(deps, settings, user, original!, pty);
  // Refused before anything touches the file system, the audit log included (sshd logs the attempt).
  const parsed = parseGitCommand(original);
  if (!parsed.ok) return refuse(parsed.reason);
  if (pty) return refuse('refused: git push and fetch take no terminal (drop ssh -t)');
  const { request } = parsed;
  // Imported only now: a refused request never loads the state repo's reader (yaml, zod, isomorphic-git), so
  // its one-line answer comes about as fast as node starts.
  const [gate, { authorize, createBareRepo, installHooks }] = await Promise.all([
    openGate(deps, settings),
    import('../../push/gitShell.js'),
  ]);
  if ('refused' in gate) return refuse(gate.refused);
  const { engine, access } = gate;
  const decision = authorize(request, user, access, settings, existsSync);
  await auditSshDecision(deps, engine, {
    actor: user,
    action: request.service === 'git-receive-pack' ? 'git.push' : 'git.fetch',
    target: request.repo,
    ok: decision.ok,
    ...(!decision.ok && { detail: decision.message }),
  });
  if (!decision.ok) return refuse(decision.message);
  if (decision.create) {
    await createBareRepo(decision.gitDir, decision.create.branch);
    deps.io.err(`hiy: created repository ${request.repo}\n`);
  }
  const hooks = await installHooks(settings.dataDir, selfCommand(deps.io.env));
  const config = [
    '-c',
    `core.hooksPath=${hooks}`,
    '-c',
    'receive.fsckObjects=true',
    // `git push -o detach`: keep building when the pusher disconnects (src/push/receive.ts).
    '-c',
    'receive.advertisePushOptions=true',
  ];
  // A state repo that is a working copy: a push updates its files too (refused if they have local edits).
  if (existsSync(join(decision.gitDir, '.git'))) config.push('-c', 'receive.denyCurrentBranch=updateInstead');
  const env: NodeJS.ProcessEnv = {
    ...deps.io.env,
    ...settingsEnv(settings, deps.io.env),
    HIY_PUSH_USER: user,
    HIY_PUSH_REPO: request.repo,
    HIY_PUSH_GIT_DIR: decision.gitDir,
  };
  const service = request.service === 'git-receive-pack' ? 'receive-pack' : 'upload-pack';
  return runGitService([...config, service, decision.gitDir], env);
};
