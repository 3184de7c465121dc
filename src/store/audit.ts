// The audit log: one JSON line per mutating request or push (who, what, when, result), append-only.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appendFileDurable } from './atomic.js';

export interface AuditEntry {
  at: string;
  /** The user (from a token or an SSH key), or the webhook's forge. */
  actor: string;
  /** How the request came: `api`, `webhook`, `ssh`, `cli`. */
  via: string;
  /** e.g. `reconcile`, `rollback`, `snapshot.create`, `webhook.github`. */
  action: string;
  /** The resource acted on, when there is one. */
  target?: string;
  result: 'ok' | 'failed' | 'denied' | 'unauthenticated';
  /** Short, never a secret: an error message, a commit, a delivery id. */
  detail?: string;
}

/**
 * `<dataDir>/audit.log` (0600). Each entry is one fsynced O_APPEND write, so concurrent writers (the API server,
 * git-shell processes) never interleave; a line torn by a crash or a full disk is skipped by `read`.
 */
export class AuditLog {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'audit.log');
  }

  async append(entry: Omit<AuditEntry, 'at'> & { at?: string }): Promise<void> {
    const line: AuditEntry = { at: entry.at ?? new Date().toISOString(), ...entry } as AuditEntry;
    await appendFileDurable(this.path, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  }

  async read(): Promise<AuditEntry[]> {
    try {
      const text = await readFile(this.path, 'utf8');
      return text.split('\n').flatMap((l) => {
        try {
          return l ? [JSON.parse(l) as AuditEntry] : [];
        } catch {
          return []; // torn by a crash or a full disk
        }
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}
