// `hiy session list | revoke ID`: the dashboard's sessions (12 h idle expiry), stored hashed.
import { openStores } from '../../store/index.js';
import type { CommandRun } from '../command.js';
import { UsageError } from '../config.js';
import { EXIT } from '../context.js';
import { table } from '../table.js';

export const run: CommandRun = async (deps, settings, ctx) => {
  const [action, arg] = ctx.args;
  const stores = openStores(settings.dataDir);
  const store = stores.sessions;
  switch (action) {
    case 'list': {
      const all = (await store.list()).map(({ sha256: _hash, ...rest }) => rest);
      if (ctx.json) deps.io.out(`${JSON.stringify({ sessions: all }, null, 2)}\n`);
      else if (all.length === 0) deps.io.out('No dashboard sessions.\n');
      else
        deps.io.out(
          `${table([
            ['ID', 'USER', 'METHOD', 'OPENED', 'LAST USED', 'FROM'],
            ...all.map((s) => [s.id, s.user, s.method, s.createdAt, s.lastSeenAt, s.address ?? '']),
          ])}\n`,
        );
      return EXIT.ok;
    }
    case 'revoke': {
      if (!arg)
        throw new UsageError('hiy session revoke ID: which session? (hiy session list shows the ids)');
      const removed = await store.revoke(arg);
      if (removed)
        await stores.audit.append({
          actor: 'root',
          via: 'cli',
          action: 'session.revoke',
          target: arg,
          result: 'ok',
        });
      if (ctx.json) deps.io.out(`${JSON.stringify({ id: arg, revoked: removed })}\n`);
      else deps.io.out(removed ? `Session ${arg} revoked.\n` : `No session ${arg}.\n`);
      return removed ? EXIT.ok : EXIT.error;
    }
    default:
      throw new UsageError('hiy session: give list or revoke ID');
  }
};
