// `hiy status`: each resource with its container state, image, routes and the commit last applied.

import { ageText } from '../../engine/backupAges.js';
import { jobStatuses } from '../../engine/jobs.js';
import { computeStatusView } from '../../engine/statusView.js';
import type { Settings } from '../../model/settings.js';
import type { Condition } from '../../model/status.js';
import type { CommandRun } from '../command.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { table } from '../table.js';

export type { ResourceStatus, StatusView } from '../../engine/statusView.js';

export async function statusCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean },
): Promise<number> {
  const engine = await deps.makeEngine(settings);
  const [view, jobs] = await Promise.all([
    computeStatusView(engine, { certificates: true }),
    jobStatuses(engine).catch(() => []),
  ]);
  if (opts.json) {
    deps.io.out(`${JSON.stringify({ ...view, jobs }, null, 2)}\n`);
    return EXIT.ok;
  }
  const short = (c?: string) => (c ? c.slice(0, 12) : '-');
  deps.io.out(`State repo ${view.stateRepo} (${view.branch}) head ${short(view.head)}\n`);
  deps.io.out(
    `Last applied commit ${short(view.lastAppliedCommit)}${view.lastAppliedAt ? ` at ${view.lastAppliedAt}` : ''}\n`,
  );
  if (view.stateErrors)
    deps.io.out(
      `The state repo has ${view.stateErrors} error(s) (${view.stateError}): run hiy validate. Shown as last applied.\n`,
    );
  if (view.lastError) deps.io.out(`Last apply failed: ${view.lastError}\n`);
  deps.io.out('\n');
  const { resources } = view;
  if (resources.length === 0) deps.io.out('No resources.\n');
  else {
    const rows = [['RESOURCE', 'CONTAINER', 'STATE', 'IMAGE', 'ROUTES', 'APPLIED', 'READY', 'NOTE']];
    for (const r of resources) {
      const cond = (t: Condition['type']) => r.conditions.find((c) => c.type === t);
      const ready = cond('Ready');
      const building = cond('Building');
      const note = [
        building?.status === 'True' ? `Building: ${building.message}` : '',
        !r.inStateRepo ? 'removed from state repo' : '',
        r.pinned
          ? `pinned to release ${r.pinned.release} by a rollback (ignores ${short(r.pinned.ignoredCommit)}; hiy unpin ${r.id})`
          : '',
        cond('Reconciling')?.status === 'True' ? 'reconciling' : '',
        r.backoff ? `backing off (${r.backoff.failures} failure(s)), next retry ${r.backoff.retryAt}` : '',
        r.pending ? 'changes pending' : '',
        cond('LimitsEnforced')?.status === 'False' ? 'limits not enforced (hiy doctor)' : '',
        cond('CertificateReady')?.status === 'False' ? `${cond('CertificateReady')!.message}` : '',
        ...(r.certificateProblems ?? []).map((p) => `WARNING: ${p}`),
        r.lastError ?? '',
      ]
        .filter(Boolean)
        .join('; ');
      rows.push([
        r.id,
        r.container?.name ?? '-',
        r.container?.state ?? 'missing',
        r.container?.image ?? '-',
        r.routes.join(',') || '-',
        short(r.lastAppliedCommit),
        ready ? `${ready.status === 'True' ? 'yes' : 'no'} (${ready.reason})` : '-',
        note,
      ]);
    }
    deps.io.out(`${table(rows)}\n`);
  }
  if (view.certificates?.length) {
    const rows = [['HOST', 'CERTIFICATE', 'ISSUER', 'EXPIRES']];
    for (const c of view.certificates)
      rows.push(
        c.error
          ? [c.host, `none: ${c.error}`, '-', '-']
          : [
              c.host,
              c.subject ?? '-',
              c.issuer ?? '-',
              `${c.notAfter}${c.expiresSoon ? ' (WARNING: within 14 days)' : ''}`,
            ],
      );
    deps.io.out(`\nCertificates (HIY_TLS=${settings.tls}):\n${table(rows)}\n`);
  }
  const backedUp = resources.filter((r) => r.backup);
  if (backedUp.length > 0) {
    const now = new Date();
    const rows = [['RESOURCE', 'BACKUP', 'LAST BACKUP', 'LAST PASSING DRILL', 'NOTE']];
    for (const r of backedUp) {
      const b = r.backup!;
      const note = [
        b.stale ? `WARNING: stale: ${b.stale.message}` : '',
        b.drillStale ? `WARNING: ${b.drillStale.message}` : '',
        !b.stale && b.lastFailureAt && (!b.lastBackupAt || b.lastFailureAt > b.lastBackupAt)
          ? `last attempt failed ${ageText(b.lastFailureAt, now)}: ${b.lastError ?? ''}`
          : '',
      ]
        .filter(Boolean)
        .join('; ');
      rows.push([
        r.id,
        b.backups.join(','),
        ageText(b.lastBackupAt, now),
        ageText(b.lastDrillPassedAt, now),
        note || '-',
      ]);
    }
    deps.io.out(`\nBackups (hiy backup list; docs/backups.md):\n${table(rows)}\n`);
  }
  if (view.retainedVolumes.length) deps.io.out(`\nRetained volumes: ${view.retainedVolumes.join(', ')}\n`);
  if (jobs.length > 0) {
    const rows = [['JOB', 'SCHEDULE', 'LAST RUN', 'OUTCOME']];
    for (const j of jobs) {
      const l = j.last;
      const outcome = l
        ? `${l.outcome}${l.exitCode !== undefined ? ` (exit ${l.exitCode})` : ''}${l.reason ? `: ${l.reason}` : ''}`
        : '-';
      rows.push([`${j.resource} ${j.job}`, j.schedule, l?.startedAt ?? 'never', outcome]);
    }
    deps.io.out(`\nJobs (hiy logs NAME --job JOB for their output):\n${table(rows)}\n`);
  }
  return EXIT.ok;
}

export const run: CommandRun = (deps, settings, ctx) => statusCommand(deps, settings, { json: ctx.json });
