// The backup verbs over SSH (`ssh hiy@box backup:now db`): the same functions as `hiy backup`, on the one
// resource the verb names (its grant already checked by push/sshVerbs.ts), progress and sizes printed.
import { backupNow } from '../backup/backupNow.js';
import { drillBackups } from '../backup/drill.js';
import { listEverything, listingOf } from '../backup/list.js';
import { restoreFromBackup } from '../backup/restore.js';
import type { VerbRequest } from '../drivers/ssh/verbCommand.js';
import type { Engine } from '../engine/engine.js';

/** What a backup verb uses of push/sshVerbs.ts's SshVerbContext. */
interface SshVerbContext {
  engine: Engine;
  request: VerbRequest;
  resource: string;
  out(text: string): void;
  err(text: string): void;
}

type Handler = (ctx: SshVerbContext) => Promise<number>;

function size(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}

const json = (ctx: SshVerbContext) => ctx.request.flags.json === true;
const str = (ctx: SshVerbContext, k: string) =>
  typeof ctx.request.flags[k] === 'string' ? (ctx.request.flags[k] as string) : undefined;
const common = (ctx: SshVerbContext) => {
  const backup = str(ctx, 'backup');
  return {
    resource: ctx.resource,
    ...(backup && { backup }),
    ...(!json(ctx) && { onStep: (m: string) => ctx.out(`${m}…\n`) }),
  };
};
const print = (ctx: SshVerbContext, value: unknown) => ctx.out(`${JSON.stringify(value, null, 2)}\n`);

const now: Handler = async (ctx) => {
  const run = await backupNow(ctx.engine, common(ctx));
  if (json(ctx)) print(ctx, run);
  else {
    for (const v of run.volumes)
      ctx.out(
        `${v.volume}: backup ${v.id.slice(0, 8)}, ${v.summary.totalFiles} files, ${size(v.summary.totalBytes)}, ${size(v.summary.dataAdded)} added${v.forgotten ? `, ${v.forgotten} old backup(s) forgotten` : ''}\n`,
      );
    for (const f of run.failures)
      ctx.err(`hiy: ${f.resource}${f.volume ? ` (${f.volume})` : ''}: ${f.error}\n`);
  }
  return run.failures.length ? 1 : 0;
};

const list: Handler = async (ctx) => {
  const backup = str(ctx, 'backup');
  // The resource's volumes and, for an App, its hosted git repository (the grant is on the resource).
  const { backups, repositories } = listingOf(
    await listEverything(ctx.engine, backup ? { backup } : {}),
    ctx.resource,
  );
  const when = (t: string) => t.slice(0, 19).replace('T', ' ');
  if (json(ctx)) print(ctx, { backups, repositories });
  else if (backups.length === 0 && repositories.length === 0) ctx.out(`No backups of ${ctx.resource}.\n`);
  else {
    for (const e of backups) ctx.out(`${e.shortId}  ${when(e.time)}  ${e.volume}  snapshot ${e.snapshot}\n`);
    for (const r of repositories) ctx.out(`${r.shortId}  ${when(r.time)}  git repository ${r.repo}\n`);
  }
  return 0;
};

const restore: Handler = async (ctx) => {
  const id = str(ctx, 'id');
  const restored = await restoreFromBackup(ctx.engine, { ...common(ctx), ...(id && { id }) });
  if (json(ctx)) print(ctx, { restored });
  else
    for (const o of restored)
      ctx.out(
        `Restored backup ${o.backupId.slice(0, 8)} into ${o.volume}: ${o.files} files, verified.${o.preRestore ? ` What it held before is snapshot ${o.preRestore.id}.` : ''}\n`,
      );
  return 0;
};

const drill: Handler = async (ctx) => {
  const results = await drillBackups(ctx.engine, common(ctx));
  if (json(ctx)) print(ctx, { drills: results });
  else
    for (const r of results)
      if (r.passed)
        ctx.out(
          `Drill of ${r.volume} (backup ${r.backupId.slice(0, 8)}): passed, ${r.files} files, ${r.check}.\n`,
        );
      else ctx.err(`hiy: drill of ${r.volume} (backup ${r.backupId.slice(0, 8)}) FAILED: ${r.error}\n`);
  return results.every((r) => r.passed) ? 0 : 1;
};

/** The handlers of drivers/ssh/verbCommand.ts's backup verbs. */
export const BACKUP_VERB_HANDLERS: Record<string, Handler> = {
  'backup:now': now,
  'backup:list': list,
  'backup:restore': restore,
  'backup:drill': drill,
};
