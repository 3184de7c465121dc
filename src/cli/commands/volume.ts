// `hiy volume ls|rm`: the volumes HIY keeps, and the one explicit way to delete one.

import { removeVolume, volumeViews } from '../../data/commands.js';
import type { Settings } from '../../model/settings.js';
import { type CommandRun, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { table } from '../table.js';

export async function volumeCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean; args: string[]; confirm?: string },
): Promise<number> {
  const [sub, name, extra] = opts.args;
  if (extra !== undefined) throw new UsageError(`hiy volume ${sub}: unexpected argument "${extra}"`);
  const engine = await deps.makeEngine(settings);
  switch (sub) {
    case 'ls':
    case 'list': {
      const { volumes, stateRepoValid } = await volumeViews(engine);
      if (opts.json) {
        deps.io.out(`${JSON.stringify({ volumes, stateRepoValid }, null, 2)}\n`);
        return EXIT.ok;
      }
      if (volumes.length === 0) {
        deps.io.out('No volumes.\n');
        return EXIT.ok;
      }
      const rows = [['VOLUME', 'RESOURCE', 'STATE REPO', 'USED BY', 'SNAPSHOTS', 'LATEST']];
      for (const v of volumes) {
        rows.push([
          v.name,
          v.resource || '-',
          v.declared ? 'declared' : stateRepoValid ? 'retained' : '?',
          v.usedBy.join(',') || '-',
          String(v.snapshots),
          v.latestSnapshot ?? '-',
        ]);
      }
      deps.io.out(`${table(rows)}\n`);
      return EXIT.ok;
    }
    case 'rm': {
      if (!name) throw new UsageError('hiy volume rm VOLUME --confirm VOLUME: which volume?');
      const final = await removeVolume(
        engine,
        name,
        opts.confirm,
        opts.json ? undefined : (m) => deps.io.out(`${m}…\n`),
      );
      if (opts.json) deps.io.out(`${JSON.stringify({ removed: name, finalSnapshot: final }, null, 2)}\n`);
      else
        deps.io.out(
          `Removed ${name}. Its data is kept in the final snapshot ${final.id} (${final.files} files); ` +
            `hiy snapshot restore ${name}/${final.id} brings it back.\n`,
        );
      return EXIT.ok;
    }
    default:
      throw new UsageError('hiy volume: give ls or rm');
  }
}

export const run: CommandRun = (deps, settings, ctx) =>
  volumeCommand(deps, settings, { json: ctx.json, args: ctx.args, confirm: str(ctx, 'confirm') });
