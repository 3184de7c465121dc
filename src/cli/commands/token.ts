// `hiy token create USER | list | revoke ID`: API tokens for the users of the state repo, stored hashed.

import { loadDesired } from '../../engine/engine.js';
import type { Settings } from '../../model/settings.js';
import { openStores } from '../../store/index.js';
import type { CommandContext, CommandRun } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { table } from '../table.js';

async function tokenCommand(deps: CliDeps, settings: Settings, ctx: CommandContext): Promise<number> {
  const [action, arg] = ctx.args;
  const store = openStores(settings.dataDir).tokens;
  switch (action) {
    case 'create': {
      if (!arg) throw new UsageError('hiy token create USER: for which user of the state repo?');
      if (!settings.stateRepo) throw new UsageError('no state repo: give --state DIR or set HIY_STATE');
      const desired = await loadDesired(await deps.makeEngine(settings));
      const users = desired.state?.users ?? [];
      if (!desired.state)
        throw new UsageError('the state repo has errors (run hiy validate); no token created');
      if (!users.some((u) => u.metadata.name === arg)) {
        throw new UsageError(
          `no User ${arg} in the state repo (users: ${users.map((u) => u.metadata.name).join(', ') || 'none'}); add one and commit it first`,
        );
      }
      const { token, record } = await store.create(arg);
      if (ctx.json) deps.io.out(`${JSON.stringify({ id: record.id, user: arg, token }, null, 2)}\n`);
      else {
        deps.io.out(`${token}\n`);
        deps.io.err(
          `Token ${record.id} for ${arg} created. It is shown only now: HIY keeps only its SHA-256.\nUse it as: Authorization: Bearer TOKEN\n`,
        );
      }
      return EXIT.ok;
    }
    case 'list': {
      const all = (await store.list()).map(({ id, user, createdAt }) => ({ id, user, createdAt }));
      if (ctx.json) deps.io.out(`${JSON.stringify({ tokens: all }, null, 2)}\n`);
      else if (all.length === 0) deps.io.out('No API tokens.\n');
      else
        deps.io.out(
          `${table([['ID', 'USER', 'CREATED'], ...all.map((t) => [t.id, t.user, t.createdAt])])}\n`,
        );
      return EXIT.ok;
    }
    case 'revoke': {
      if (!arg) throw new UsageError('hiy token revoke ID: which token? (hiy token list shows the ids)');
      const removed = await store.revoke(arg);
      if (ctx.json) deps.io.out(`${JSON.stringify({ id: arg, revoked: removed })}\n`);
      else deps.io.out(removed ? `Token ${arg} revoked.\n` : `No token ${arg}.\n`);
      return removed ? EXIT.ok : EXIT.error;
    }
    default:
      throw new UsageError('hiy token: give create USER, list or revoke ID');
  }
}

export const run: CommandRun = tokenCommand;
