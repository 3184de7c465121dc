// The age of each resource's last backup and last passing drill, and whether its backups are stale (no success
// for longer than twice the Backup's schedule). Pure: the marks, the Backups and the clock are given.
import { CronTime } from 'cron';
import type { BackupResource } from '../model/resources.js';
import type { BackupMark } from '../store/backupHistory.js';

/** What `hiy status`, the API and the dashboard show about one resource's backups. */
export interface ResourceBackupAges {
  /** The Backups covering the resource. */
  backups: string[];
  lastBackupAt?: string;
  lastDrillPassedAt?: string;
  lastFailureAt?: string;
  lastError?: string;
  /** Set when no backup succeeded for longer than twice the schedule allows (`since`: when it became stale). */
  stale?: { message: string; since: string };
  /** Set when the last drill is older than twice the drill schedule (or none ever passed). */
  drillStale?: { message: string };
}

/** The interval between two ticks of a cron expression (the next two from `now`), or undefined when invalid. */
export function cronPeriodMs(expression: string, now: Date): number | undefined {
  try {
    const t = new CronTime(expression);
    const a = t.getNextDateFrom(now);
    const b = t.getNextDateFrom(a.plus({ milliseconds: 1 }));
    return b.toMillis() - a.toMillis();
  } catch {
    return undefined;
  }
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

/** `3 h ago`, `2 days ago`, or `never`: for the status views. */
export function ageText(at: string | undefined, now: Date): string {
  return at ? `${human(now.getTime() - Date.parse(at))} ago` : 'never';
}

function human(ms: number): string {
  const h = ms / 3_600_000;
  if (h >= 48) return `${Math.round(h / 24)} days`;
  if (h >= 1) return `${Math.round(h)} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}

/**
 * Ages per resource: a Backup naming `spec.resources` covers those; one without covers every resource that has
 * volumes (`withVolumes`) or that it has backed up. A resource no Backup covers is absent.
 */
export function backupAges(opts: {
  backups: BackupResource[];
  marks: BackupMark[];
  resources: string[];
  withVolumes: string[];
  now: Date;
}): Map<string, ResourceBackupAges> {
  const out = new Map<string, ResourceBackupAges>();
  const { marks, now } = opts;
  for (const b of opts.backups) {
    const name = b.metadata.name;
    const own = marks.filter((m) => m.backup === name);
    const covered = new Set(
      b.spec.resources ?? [
        ...opts.withVolumes,
        ...own.filter((m) => m.what === 'backup' && m.resource).map((m) => m.resource),
      ],
    );
    const since = own.find((m) => m.what === 'schedule')?.since;
    const period = b.spec.schedule ? cronPeriodMs(b.spec.schedule, now) : undefined;
    const drillPeriod = b.spec.drill ? cronPeriodMs(b.spec.drill.schedule, now) : undefined;
    for (const id of covered) {
      if (!opts.resources.includes(id)) continue;
      const ages = out.get(id) ?? { backups: [] };
      ages.backups.push(name);
      const mine = own.filter((m) => m.resource === id);
      const backup = mine.find((m) => m.what === 'backup');
      const drill = mine.find((m) => m.what === 'drill');
      const lastOfThis = backup?.lastSuccessAt;
      ages.lastBackupAt = later(ages.lastBackupAt, lastOfThis);
      ages.lastDrillPassedAt = later(ages.lastDrillPassedAt, drill?.lastSuccessAt);
      if (backup?.lastFailureAt && (!ages.lastFailureAt || backup.lastFailureAt > ages.lastFailureAt)) {
        ages.lastFailureAt = backup.lastFailureAt;
        if (backup.lastError) ages.lastError = backup.lastError;
      }
      if (period !== undefined) {
        // Stale from the last success, or (never succeeded) from when the daemon started running the schedule.
        const from = lastOfThis ?? since;
        if (from && now.getTime() - Date.parse(from) > 2 * period) {
          const failing = backup?.lastFailureAt && (!lastOfThis || backup.lastFailureAt > lastOfThis);
          ages.stale = {
            since: new Date(Date.parse(from) + 2 * period).toISOString(),
            message: `${lastOfThis ? `the last backup to ${name} is ${human(now.getTime() - Date.parse(lastOfThis))} old` : `no backup to ${name} has succeeded in ${human(now.getTime() - Date.parse(from))}`} (schedule "${b.spec.schedule}": every ${human(period)})${failing && backup?.lastError ? `; last error: ${backup.lastError}` : ''}`,
          };
        }
      }
      if (drillPeriod !== undefined) {
        const from = drill?.lastSuccessAt ?? since;
        if (from && now.getTime() - Date.parse(from) > 2 * drillPeriod)
          ages.drillStale = {
            message: `${drill?.lastSuccessAt ? `the last passing restore drill is ${human(now.getTime() - Date.parse(drill.lastSuccessAt))} old` : 'no restore drill has passed'} (drill schedule "${b.spec.drill!.schedule}")`,
          };
      }
      out.set(id, ages);
    }
  }
  return out;
}
