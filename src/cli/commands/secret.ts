// `hiy secret set|list|rm`: the values behind spec.secretEnv, kept on this box (DATA_DIR/secrets), never in git.
import { readFile } from 'node:fs/promises';
import { viewDesired } from '../../engine/engine.js';
import type { Settings } from '../../model/settings.js';
import { openStores } from '../../store/index.js';
import { type CommandContext, type CommandRun, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { table } from '../table.js';

/** Which resources use each secret, when the state repo can be read (for `list`). */
async function usersOf(deps: CliDeps, settings: Settings): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!settings.stateRepo) return out;
  // The effective state: a Port's generated and linked secrets are used by it, though its spec names none.
  const desired = await viewDesired(await deps.makeEngine(settings)).catch(() => undefined);
  for (const w of desired?.state?.workloads ?? []) {
    for (const [env, name] of Object.entries(w.secretEnv ?? {}))
      out.set(name, [...(out.get(name) ?? []), `${w.id} (${env})`]);
  }
  return out;
}

async function secretCommand(deps: CliDeps, settings: Settings, ctx: CommandContext): Promise<number> {
  const [action, name] = ctx.args;
  const store = openStores(settings.dataDir).secrets;
  switch (action) {
    case 'set': {
      if (!name) throw new UsageError('hiy secret set NAME: which secret?');
      const file = str(ctx, 'from-file');
      let value: string;
      if (file) value = await readFile(file, 'utf8');
      else if (deps.io.readStdin) value = await deps.io.readStdin();
      else throw new UsageError('hiy secret set NAME: give the value on stdin or with --from-file FILE');
      await store.set(name, value);
      // Never echo the value, not even its length.
      if (ctx.json) deps.io.out(`${JSON.stringify({ name, set: true })}\n`);
      else
        deps.io.out(
          `Secret ${name} set. Apply (or let the daemon reconcile) to give it to the containers using it.\n`,
        );
      return EXIT.ok;
    }
    case 'list': {
      const users = await usersOf(deps, settings);
      const entries = (await store.list()).map((e) => ({ ...e, usedBy: users.get(e.name) ?? [] }));
      const missing = [...users.keys()].filter((n) => !entries.some((e) => e.name === n)).sort();
      if (ctx.json) {
        deps.io.out(`${JSON.stringify({ secrets: entries, missing }, null, 2)}\n`);
        return EXIT.ok;
      }
      if (entries.length === 0) deps.io.out('No secrets set.\n');
      else {
        const rows = [['NAME', 'UPDATED', 'USED BY']];
        for (const e of entries) rows.push([e.name, e.updatedAt, e.usedBy.join(', ') || '-']);
        deps.io.out(`${table(rows)}\n`);
      }
      if (missing.length) deps.io.out(`\nUsed by the state repo but not set: ${missing.join(', ')}\n`);
      return EXIT.ok;
    }
    case 'rm': {
      if (!name) throw new UsageError('hiy secret rm NAME: which secret?');
      const existed = await store.remove(name);
      if (ctx.json) deps.io.out(`${JSON.stringify({ name, removed: existed })}\n`);
      else deps.io.out(existed ? `Secret ${name} removed.\n` : `No secret ${name}.\n`);
      return existed ? EXIT.ok : EXIT.error;
    }
    default:
      throw new UsageError('hiy secret: give set NAME, list or rm NAME');
  }
}

export const run: CommandRun = secretCommand;
