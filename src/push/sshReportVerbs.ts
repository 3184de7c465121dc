// The verbs that report over SSH (`ssh hiy@box help`, `status`, `ps:report NAME`): what the user may view, no more.
import { hasRole } from '../access/grants.js';
import { VERBS } from '../drivers/ssh/verbCommand.js';
import { computeStatusView, type ResourceStatus } from '../engine/statusView.js';
import type { UserResource } from '../model/resources.js';
import type { SshVerbContext } from './sshVerbContext.js';

/** Whether the user is granted the whole box (`*`), and so sees box-wide facts such as the last error. */
function seesAll(user: UserResource): boolean {
  return user.spec.grants.some((g) => g.app === '*');
}

/** Columns padded to their widest cell (push/ may not import cli/table.ts). */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const short = (c?: string) => (c ? c.slice(0, 12) : '-');

function ready(r: ResourceStatus): string {
  const c = r.conditions.find((x) => x.type === 'Ready');
  return c ? `${c.status === 'True' ? 'yes' : 'no'} (${c.reason})` : '-';
}

/** `help`: every command this account answers, the role each needs, and the user's own grants. */
export async function help(ctx: SshVerbContext): Promise<number> {
  const rows = [['COMMAND', 'NEEDS']];
  rows.push(['git push ssh://USER@BOX/APP', 'deploy on APP']);
  rows.push(['git fetch / git clone ssh://USER@BOX/APP', 'view on APP']);
  rows.push(['login', 'a User: prints a one-time sign-in link of the dashboard']);
  for (const spec of Object.values(VERBS))
    rows.push([
      spec.usage,
      spec.scope === 'box' ? 'a User (shows what you may view)' : `${spec.role} on NAME`,
    ]);
  const grants = ctx.user.spec.grants.map((g) => `${g.role} on ${g.app}`).join(', ') || 'none';
  ctx.out(
    `Commands of this account (ssh USER@BOX COMMAND; NAME: blog, app/blog or port/db):\n${table(rows)}\n\n` +
      `You are ${ctx.user.metadata.name}, granted: ${grants}.\n`,
  );
  return 0;
}

/** `status`: the resources the user may view, one line each (as `hiy status`, without certificates). */
export async function status(ctx: SshVerbContext): Promise<number> {
  const view = await computeStatusView(ctx.engine, { certificates: false });
  const all = seesAll(ctx.user);
  const mine = view.resources.filter((r) => hasRole(ctx.user, r.id, 'view'));
  ctx.out(
    `Last applied commit ${short(view.lastAppliedCommit)}${view.lastAppliedAt ? ` at ${view.lastAppliedAt}` : ''}\n`,
  );
  // The box-wide error may name resources the user may not see (server/visibility.ts keeps it from them too).
  if (all && view.lastError) ctx.out(`Last apply failed: ${view.lastError}\n`);
  if (mine.length === 0) {
    ctx.out('No resources you may view.\n');
    return 0;
  }
  const rows = [['RESOURCE', 'STATE', 'IMAGE', 'ROUTES', 'READY', 'NOTE']];
  for (const r of mine) {
    const note = [
      r.pending ? 'changes pending' : '',
      r.pinned ? `pinned to release ${r.pinned.release}` : '',
      r.backoff ? `backing off, next retry ${r.backoff.retryAt}` : '',
      r.lastError ?? '',
    ]
      .filter(Boolean)
      .join('; ');
    rows.push([
      r.id,
      r.container?.state ?? 'missing',
      r.container?.image ?? '-',
      r.routes.join(',') || '-',
      ready(r),
      note,
    ]);
  }
  ctx.out(`${table(rows)}\n`);
  return 0;
}

/** `ps:report NAME`: one resource in detail (the grant on it was checked before). */
export async function psReport(ctx: SshVerbContext): Promise<number> {
  const view = await computeStatusView(ctx.engine, { certificates: false });
  const r = view.resources.find((x) => x.id === ctx.resource);
  const lines: [string, string][] = [['Resource', ctx.resource]];
  if (!r) lines.push(['State', 'not deployed yet']);
  else {
    lines.push(
      ['Container', r.container?.name ?? 'missing'],
      ['State', r.container?.state ?? 'missing'],
      ['Image', r.container?.image ?? '-'],
      ['Routes', r.routes.join(', ') || 'none'],
      ['Ready', ready(r)],
      ['In state repo', r.inStateRepo ? 'yes' : 'no (removed; its volumes are kept)'],
      ['Applied commit', short(r.lastAppliedCommit)],
      ['Changes pending', r.pending ? 'yes' : 'no'],
    );
    if (r.pinned) lines.push(['Pinned', `release ${r.pinned.release} since ${r.pinned.since}`]);
    if (r.backoff)
      lines.push(['Backing off', `${r.backoff.failures} failure(s), next retry ${r.backoff.retryAt}`]);
    for (const c of r.conditions)
      lines.push([c.type, `${c.status} (${c.reason})${c.message ? `: ${c.message}` : ''}`]);
    if (r.lastError) lines.push(['Last error', r.lastError]);
  }
  const width = Math.max(...lines.map(([k]) => k.length)) + 1;
  ctx.out(`${lines.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n')}\n`);
  return 0;
}
