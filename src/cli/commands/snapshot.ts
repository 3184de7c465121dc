// `hiy snapshot list|create|restore`: verified snapshots of volumes, by hand.

import { createSnapshots, restoreFromSnapshot, snapshotsOf } from '../../data/commands.js';
import type { Settings } from '../../model/settings.js';
import type { SnapshotManifest } from '../../snapshots/snapshot.js';
import { type CommandRun, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { table } from '../table.js';

function size(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function rows(list: SnapshotManifest[]): string {
  const r = [['ID', 'VOLUME', 'RESOURCE', 'REASON', 'FILES', 'SIZE', 'STATE COMMIT', 'IMAGE BEFORE → AFTER']];
  for (const m of list) {
    r.push([
      m.id,
      m.volume,
      m.resource,
      m.reason,
      String(m.files),
      size(m.bytes),
      m.stateCommit?.slice(0, 12) ?? '-',
      m.imageBefore || m.imageAfter ? `${m.imageBefore ?? '-'} → ${m.imageAfter ?? '-'}` : '-',
    ]);
  }
  return table(r);
}

export async function snapshotCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean; args: string[]; toVolume?: string },
): Promise<number> {
  const [sub, target, extra] = opts.args;
  if (extra !== undefined) throw new UsageError(`hiy snapshot ${sub}: unexpected argument "${extra}"`);
  const engine = await deps.makeEngine(settings);
  const step = opts.json ? undefined : (m: string) => deps.io.out(`${m}…\n`);
  switch (sub) {
    case 'list': {
      const list = await snapshotsOf(engine, target);
      if (opts.json) deps.io.out(`${JSON.stringify({ snapshots: list }, null, 2)}\n`);
      else if (list.length === 0) deps.io.out(`No snapshots${target ? ` of ${target}` : ''}.\n`);
      else deps.io.out(`${rows(list)}\n`);
      return EXIT.ok;
    }
    case 'create': {
      if (!target) throw new UsageError('hiy snapshot create NAME: which resource?');
      const taken = await createSnapshots(engine, target, step);
      if (opts.json) deps.io.out(`${JSON.stringify({ snapshots: taken }, null, 2)}\n`);
      else deps.io.out(`\nTook and verified ${taken.length} snapshot(s):\n${rows(taken)}\n`);
      return EXIT.ok;
    }
    case 'restore': {
      if (!target) throw new UsageError('hiy snapshot restore SNAPSHOT [--to-volume V]: which snapshot?');
      const out = await restoreFromSnapshot(engine, target, opts.toVolume, step);
      if (opts.json) deps.io.out(`${JSON.stringify(out, null, 2)}\n`);
      else {
        deps.io.out(
          `\nRestored ${out.snapshot.volume}/${out.snapshot.id} into ${out.volume}${out.created ? ' (created)' : ''}: ${out.files} files.\n`,
        );
        if (out.preRestore)
          deps.io.out(
            `What ${out.volume} held before is snapshot ${out.preRestore.id} (hiy snapshot restore ${out.volume}/${out.preRestore.id} undoes this).\n`,
          );
      }
      return EXIT.ok;
    }
    default:
      throw new UsageError('hiy snapshot: give list, create or restore');
  }
}

export const run: CommandRun = (deps, settings, ctx) =>
  snapshotCommand(deps, settings, { json: ctx.json, args: ctx.args, toVolume: str(ctx, 'to-volume') });
