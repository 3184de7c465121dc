// What `hiy git-shell USER` decides before running git: who is asking, for which repository, with which grant.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAllowed, roleOn } from '../access/grants.js';
import { issueSignInLink, UnknownUserError } from '../access/signInLink.js';
import { type Access, appsUsingRepo } from '../access/stateAccess.js';
import { initBareRepo } from '../drivers/git/mirror.js';
import type { GitReader } from '../drivers/git/types.js';
import { shellQuote } from '../drivers/ssh/authorizedKeys.js';
import { type GitRequest, STATE_REPO_NAME } from '../drivers/ssh/gitCommand.js';
import { reposDir } from '../engine/engine.js';
import type { Settings } from '../model/settings.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Stores } from '../store/index.js';

export type ShellDecision =
  | {
      ok: true;
      /** Absolute path of the repository git runs on. */
      gitDir: string;
      /** The App repository does not exist yet and this push creates it, with HEAD on `branch`. */
      create?: { branch: string };
    }
  | { ok: false; message: string };

/**
 * Checks the user's grant for the request. App repositories: fetch needs `view` and push `deploy` on every App
 * built from the repository; the state repo needs `view` (fetch) or `admin` (push) on `*`. `exists` says
 * whether the App repository is already there. Pure.
 */
export function authorize(
  request: GitRequest,
  user: string,
  access: Access,
  settings: Pick<Settings, 'stateRepo' | 'dataDir'>,
  exists: (gitDir: string) => boolean,
): ShellDecision {
  const u = access.users.get(user);
  if (!u) return { ok: false, message: `refused: ${user} is not a User of this HIY` };
  const push = request.service === 'git-receive-pack';
  const needed = push ? 'deploy' : 'view';
  if (request.repo === STATE_REPO_NAME) {
    // The state repo governs everything, users and grants included: only grants on "*" reach it.
    if (push ? roleOn(u, '*') !== 'admin' : !isAllowed(u, 'read', '*')) {
      return {
        ok: false,
        message: `refused: ${push ? 'pushing' : 'reading'} the state repo needs the ${push ? 'admin' : 'view'} role on "*"`,
      };
    }
    return { ok: true, gitDir: settings.stateRepo };
  }
  const apps = appsUsingRepo(access, request.repo);
  if (apps.length === 0) {
    return {
      ok: false,
      message: `refused: no App is built from repository ${request.repo} (add one with source.repo: ${request.repo} to the state repo)`,
    };
  }
  const names = apps.map((a) => a.metadata.name);
  if (!names.every((n) => isAllowed(u, push ? 'push' : 'read', `app/${n}`))) {
    return {
      ok: false,
      message: `refused: ${user} has no ${needed} grant on ${names.length > 1 ? 'every one of ' : ''}App ${names.join(', ')}`,
    };
  }
  const gitDir = join(reposDir(settings), `${request.repo}.git`);
  if (exists(gitDir)) return { ok: true, gitDir };
  if (!push) return { ok: false, message: `refused: repository ${request.repo} is empty: push to it first` };
  return { ok: true, gitDir, create: { branch: apps[0]!.spec.source.branch } };
}

/** Creates the bare repository of an App on its first push, with HEAD on the App's branch. */
export async function createBareRepo(gitDir: string, branch: string): Promise<void> {
  await initBareRepo(gitDir, branch);
}

/**
 * The hooks every push through git-shell runs (`core.hooksPath`, never written into a repository): they call
 * back into this hiy, which reads its settings from the HIY_* variables git-shell passes on.
 */
export async function installHooks(dataDir: string, self: string[]): Promise<string> {
  const dir = join(dataDir, 'hooks');
  const quoted = self.map(shellQuote).join(' ');
  for (const hook of ['pre-receive', 'post-receive']) {
    // post-receive only matters for the state repo; the shell test spares App pushes a second hiy start-up.
    const onlyState = hook === 'post-receive' ? `[ "$HIY_PUSH_REPO" = ${STATE_REPO_NAME} ] || exit 0\n` : '';
    const text = `#!/bin/sh
# Written by hiy git-shell: pushes through it are handed to hiy (build and deploy, or state validation).
${onlyState}exec ${quoted} git-hook ${hook}
`;
    const path = join(dir, hook);
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current !== text) await writeFileAtomic(path, text, { mode: 0o755 });
  }
  return dir;
}

/**
 * `ssh hiy@box login`: a one-time dashboard sign-in link for the User whose key logged in (the forced command
 * names them). What to print (the URL alone on the last line), or why not. Audited either way.
 */
export async function signInOverSsh(
  settings: Settings,
  git: GitReader,
  stores: Pick<Stores, 'audit' | 'links'>,
  user: string,
  from: string | undefined,
): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  const audit = (result: 'ok' | 'denied', detail: string) =>
    stores.audit.append({
      actor: user,
      via: 'ssh',
      action: 'login.link',
      result,
      detail: [detail, from && `from ${from}`].filter(Boolean).join('; '),
    });
  try {
    const link = await issueSignInLink(settings, git, stores.links, user);
    await audit('ok', `expires ${link.expiresAt}`);
    return {
      ok: true,
      text: `Sign-in link for ${user}, valid for one use until ${link.expiresAt} (10 minutes):\n${link.url}\n`,
    };
  } catch (err) {
    if (!(err instanceof UnknownUserError)) throw err;
    await audit('denied', err.message);
    return { ok: false, message: `refused: ${user} is not a User of this HIY` };
  }
}
