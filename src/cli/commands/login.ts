// `hiy login USER`: a one-time sign-in link of the dashboard for a User of the state repo, audited.
import { issueSignInLink, UnknownUserError } from '../../access/signInLink.js';
import type { CommandRun } from '../command.js';
import { UsageError } from '../config.js';
import { EXIT } from '../context.js';

export const run: CommandRun = async (deps, settings, ctx) => {
  const user = ctx.args[0];
  if (!user) throw new UsageError('hiy login USER: for which user of the state repo?');
  const engine = await deps.makeEngine(settings);
  let link: { url: string; expiresAt: string };
  try {
    link = await issueSignInLink(settings, engine.git, engine.stores.links, user);
  } catch (err) {
    if (err instanceof UnknownUserError) throw new UsageError(`${err.message}; add one and commit it first`);
    throw err;
  }
  await engine.stores.audit.append({
    actor: user,
    via: 'cli',
    action: 'login.link',
    result: 'ok',
    detail: `expires ${link.expiresAt}`,
  });
  if (ctx.json) deps.io.out(`${JSON.stringify({ user, url: link.url, expiresAt: link.expiresAt })}\n`);
  else
    deps.io.out(
      `Sign-in link for ${user}, valid for one use until ${link.expiresAt} (10 minutes):\n${link.url}\n`,
    );
  return EXIT.ok;
};
