// What the backups last did, per Backup and resource: the time of the last success and failure of each backup,
// drill and check, kept in `DATA_DIR/backup/history.json` (the event log is bounded; these ages must not be).
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readJsonList, updateJsonList } from './jsonFile.js';

/** What was done: a backup of a resource, its restore drill, a check of the repository, or a schedule watched. */
export type BackupActivity = 'backup' | 'drill' | 'check' | 'schedule';

/** The latest outcome of one activity of one Backup for one resource ('' for the whole repository). */
export interface BackupMark {
  backup: string;
  resource: string;
  what: BackupActivity;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  /** The error of the last failure (restic's messages are masked before they get here). */
  lastError?: string;
  /** For `schedule`: since when the daemon has run this Backup's schedule (a Backup that never succeeded is stale from then). */
  since?: string;
}

/** One outcome to record. */
export interface BackupOutcome {
  backup: string;
  resource: string;
  what: BackupActivity;
  ok: boolean;
  at: string;
  error?: string;
}

/** `DATA_DIR/backup/history.json`: one mark per (Backup, resource, activity), updated under a lock. */
export class BackupHistoryStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'backup', 'history.json');
  }

  list(): Promise<BackupMark[]> {
    return readJsonList<BackupMark>(this.path);
  }

  /** Records outcomes: a success sets lastSuccessAt (the last error stays, for history), a failure lastFailureAt. */
  async record(outcomes: BackupOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true });
    return updateJsonList<BackupMark, void>(this.path, (list) => {
      for (const o of outcomes) {
        let mark = list.find((m) => m.backup === o.backup && m.resource === o.resource && m.what === o.what);
        if (!mark) {
          mark = { backup: o.backup, resource: o.resource, what: o.what };
          list.push(mark);
        }
        if (o.ok) mark.lastSuccessAt = o.at;
        else {
          mark.lastFailureAt = o.at;
          if (o.error !== undefined) mark.lastError = o.error;
        }
      }
      return { changed: true, result: undefined };
    });
  }

  /** Notes that the daemon runs a Backup's schedule from `at` on (kept when already noted). */
  async watchSince(backup: string, at: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    return updateJsonList<BackupMark, void>(this.path, (list) => {
      if (list.some((m) => m.backup === backup && m.what === 'schedule'))
        return { changed: false, result: undefined };
      list.push({ backup, resource: '', what: 'schedule', since: at });
      return { changed: true, result: undefined };
    });
  }
}
