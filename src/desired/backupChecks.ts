// Checks of Backup resources that need more than their own schema: cron schedules and the resources they cover. Pure.
import { validateCronExpression } from 'cron';
import type { Diagnostic } from '../model/diagnostics.js';
import type { BackupResource } from '../model/resources.js';
import { diag, idOf, isWorkload } from './located.js';
import type { LocatedResource } from './types.js';

function isBackup(lr: LocatedResource): lr is LocatedResource & { resource: BackupResource } {
  return lr.resource.kind === 'Backup';
}

/** Why a cron expression is refused (5 fields, or 6 with seconds first), or undefined. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  const check = fields === 5 || fields === 6 ? validateCronExpression(expression) : undefined;
  if (check?.valid) return undefined;
  return `"${expression}" is not a cron expression${check?.error ? ` (${check.error.message})` : ` (${fields} field(s); give 5, or 6 with seconds first)`}`;
}

/**
 * Each Backup: its schedules are cron expressions, the resources it names are Apps or Ports of the state repo,
 * and a retention policy keeps something. Two Backups may not share a repository (their retention would fight).
 */
export function checkBackups(resources: LocatedResource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const workloads = new Set(resources.filter(isWorkload).map(idOf));
  const byRepository = new Map<string, LocatedResource>();
  for (const lr of resources.filter(isBackup)) {
    const spec = lr.resource.spec;
    const schedules: [string, string | undefined][] = [
      ['spec.schedule', spec.schedule],
      ['spec.check.schedule', spec.check?.schedule],
      ['spec.drill.schedule', spec.drill?.schedule],
    ];
    for (const [path, schedule] of schedules) {
      const problem = schedule === undefined ? undefined : cronProblem(schedule);
      if (problem) out.push(diag(lr, path, problem, 'e.g. "0 3 * * *" for every day at 03:00'));
    }
    (spec.resources ?? []).forEach((id, i) => {
      if (!workloads.has(id)) {
        out.push(
          diag(lr, `spec.resources[${i}]`, `${id} is not an App or Port of the state repo`, undefined),
        );
      }
    });
    if (spec.keep && Object.values(spec.keep).every((n) => n === undefined)) {
      out.push(diag(lr, 'spec.keep', 'keep names no rule: give last, daily, weekly, … (or omit keep)'));
    }
    if (spec.sftp && !spec.repository.startsWith('sftp:')) {
      out.push(
        diag(
          lr,
          'spec.sftp',
          `sftp is set but the repository ${spec.repository} is not an sftp: repository`,
          'remove spec.sftp, or give a repository such as sftp:user@host:/srv/hiy',
        ),
      );
    }
    if (spec.rest && !spec.repository.startsWith('rest:')) {
      out.push(
        diag(
          lr,
          'spec.rest',
          `rest is set but the repository ${spec.repository} is not a rest: repository`,
          'remove spec.rest, or give a repository such as rest:https://backup.lan:8000/hiy',
        ),
      );
    }
    if (/^rest:https?:\/\/[^/@]*:[^/@]*@/.test(spec.repository)) {
      out.push(
        diag(
          lr,
          'spec.repository',
          'the repository URL holds a password, which would be in git',
          'remove USER:PASSWORD@ from the URL, keep it in a secret (hiy secret set NAME) and name it in spec.rest.credentialsSecret',
        ),
      );
    }
    const other = byRepository.get(spec.repository);
    if (other) {
      out.push(
        diag(
          lr,
          'spec.repository',
          `${spec.repository} is also the repository of ${idOf(other)} at ${other.file}`,
          'give each Backup its own repository: their retention policies would remove each other’s backups',
        ),
      );
    } else byRepository.set(spec.repository, lr);
  }
  return out;
}
