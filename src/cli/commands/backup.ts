// `hiy backup now|list|restore|drill`: offsite copies of the volumes in a restic repository (docs/backups.md).
import { backupNow } from '../../backup/backupNow.js';
import { checkBackup } from '../../backup/check.js';
import { drillBackups } from '../../backup/drill.js';
import { type BoxStateEntry, listEverything, listingOf } from '../../backup/list.js';
import type { RepoBackupEntry } from '../../backup/repos.js';
import { restoreFromBackup } from '../../backup/restore.js';
import type { BackupEntry } from '../../backup/target.js';
import type { Settings } from '../../model/settings.js';
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

function entryRows(list: BackupEntry[]): string {
  const r = [['ID', 'TIME', 'RESOURCE', 'VOLUME', 'SNAPSHOT', 'DATA VERSION', 'IMAGE', 'STATE COMMIT']];
  for (const e of list) {
    r.push([
      e.shortId,
      e.time.slice(0, 19).replace('T', ' '),
      e.resource,
      e.volume,
      e.snapshot,
      e.dataVersion === undefined ? '-' : String(e.dataVersion),
      e.image ?? '-',
      e.stateCommit?.slice(0, 12) ?? '-',
    ]);
  }
  return table(r);
}

function repoRows(list: RepoBackupEntry[]): string {
  const r = [['ID', 'TIME', 'REPOSITORY']];
  for (const e of list) r.push([e.shortId, e.time.slice(0, 19).replace('T', ' '), e.repo]);
  return table(r);
}

function boxRows(list: BoxStateEntry[]): string {
  const r = [['ID', 'TIME']];
  for (const e of list) r.push([e.shortId, e.time.slice(0, 19).replace('T', ' ')]);
  return table(r);
}

interface BackupOptions {
  json: boolean;
  args: string[];
  backup?: string;
  id?: string;
  toVolume?: string;
}

export async function backupCommand(deps: CliDeps, settings: Settings, opts: BackupOptions): Promise<number> {
  const [sub, target] = opts.args;
  const engine = await deps.makeEngine(settings);
  const step = opts.json ? undefined : (m: string) => deps.io.out(`${m}…\n`);
  const out = (value: unknown) => deps.io.out(`${JSON.stringify(value, null, 2)}\n`);
  switch (sub) {
    case 'now': {
      const run = await backupNow(engine, {
        ...((target ?? opts.backup) && { backup: target ?? opts.backup }),
        ...(step && { onStep: step }),
      });
      if (opts.json) out(run);
      else {
        const r = [['RESOURCE', 'VOLUME', 'ID', 'FILES', 'SIZE', 'ADDED', 'NEW', 'CHANGED', 'SECONDS']];
        for (const v of run.volumes) {
          const s = v.summary;
          r.push([
            v.resource,
            v.volume,
            v.id.slice(0, 8),
            String(s.totalFiles),
            size(s.totalBytes),
            size(s.dataAdded),
            String(s.filesNew),
            String(s.filesChanged),
            s.durationSeconds.toFixed(1),
          ]);
        }
        deps.io.out(`\nBacked up ${run.volumes.length} volume(s) to ${run.backup}:\n${table(r)}\n`);
        if (run.repos?.length)
          deps.io.out(
            `and ${run.repos.length} hosted git repositories (${run.repos.map((x) => x.repo).join(', ')}).\n`,
          );
        for (const f of run.failures)
          deps.io.err(`hiy: ${f.resource}${f.volume ? ` (${f.volume})` : ''}: ${f.error}\n`);
      }
      return run.failures.length ? EXIT.error : EXIT.ok;
    }
    case 'list': {
      const all = await listEverything(engine, opts.backup ? { backup: opts.backup } : {});
      // Without RESOURCE: everything, the hosted git repositories and HIY's own state included.
      const listing = target ? listingOf(all, target) : all;
      if (opts.json)
        out({
          backups: listing.backups,
          repositories: listing.repositories,
          ...(!target && { boxState: listing.boxState }),
        });
      else if (!listing.backups.length && !listing.repositories.length && !listing.boxState.length)
        deps.io.out(`No backups${target ? ` of ${target}` : ''}.\n`);
      else {
        if (listing.backups.length) deps.io.out(`${entryRows(listing.backups)}\n`);
        if (listing.repositories.length)
          deps.io.out(`\nHosted git repositories:\n${repoRows(listing.repositories)}\n`);
        if (listing.boxState.length)
          deps.io.out(`\nHIY's own state (secrets, releases, records):\n${boxRows(listing.boxState)}\n`);
      }
      return EXIT.ok;
    }
    case 'restore': {
      if (!target)
        throw new UsageError('hiy backup restore RESOURCE [--id ID] [--to-volume V]: which resource?');
      const restored = await restoreFromBackup(engine, {
        resource: target,
        ...(opts.backup && { backup: opts.backup }),
        ...(opts.id && { id: opts.id }),
        ...(opts.toVolume && { toVolume: opts.toVolume }),
        ...(step && { onStep: step }),
      });
      if (opts.json) out({ restored });
      else
        for (const o of restored) {
          deps.io.out(
            `\nRestored backup ${o.backupId.slice(0, 8)} into ${o.volume}${o.created ? ' (created)' : ''}: ${o.files} files, verified.\n`,
          );
          if (o.preRestore)
            deps.io.out(
              `What ${o.volume} held before is snapshot ${o.preRestore.id} (hiy snapshot restore ${o.volume}/${o.preRestore.id} undoes this).\n`,
            );
        }
      return EXIT.ok;
    }
    case 'drill': {
      const results = await drillBackups(engine, {
        ...(opts.backup && { backup: opts.backup }),
        ...(target && { resource: target }),
        ...(step && { onStep: step }),
      });
      if (opts.json) out({ drills: results });
      else
        for (const r of results) {
          if (r.passed)
            deps.io.out(
              `\nDrill of ${r.volume} (backup ${r.backupId.slice(0, 8)}): passed, ${r.files} files, ${r.check}.\n`,
            );
          else
            deps.io.err(`hiy: drill of ${r.volume} (backup ${r.backupId.slice(0, 8)}) FAILED: ${r.error}\n`);
        }
      return results.every((r) => r.passed) ? EXIT.ok : EXIT.error;
    }
    case 'check': {
      const result = await checkBackup(engine, {
        ...((target ?? opts.backup) && { backup: target ?? opts.backup }),
        ...(step && { onStep: step }),
      });
      if (opts.json) out(result);
      else if (result.passed)
        deps.io.out(
          `\nRepository of ${result.backup} checked${result.readDataSubset ? ` (${result.readDataSubset} of the data read)` : ''}: no errors.\n`,
        );
      else deps.io.err(`hiy: the check of ${result.backup} FAILED: ${result.error}\n`);
      return result.passed ? EXIT.ok : EXIT.error;
    }
    default:
      throw new UsageError('hiy backup: give now, list, restore, drill or check');
  }
}

export const run: CommandRun = (deps, settings, ctx) =>
  backupCommand(deps, settings, {
    json: ctx.json,
    args: ctx.args,
    ...(str(ctx, 'backup') && { backup: str(ctx, 'backup')! }),
    ...(str(ctx, 'id') && { id: str(ctx, 'id')! }),
    ...(str(ctx, 'to-volume') && { toVolume: str(ctx, 'to-volume')! }),
  });
