// What HIY remembers between runs: the commit last applied and per-resource records, written atomically.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BackoffState } from './backoff.js';

/** Kubernetes-style condition types of a resource. */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';

/** One condition: `Ready=True (Applied)`, `Stalled=True (BackingOff)`… with a message for humans. */
export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  /** A CamelCase constant tools may match on. */
  reason: string;
  message: string;
  /** When `status` last changed. */
  lastTransitionTime: string;
}

export interface ResourceRecord {
  lastAppliedCommit?: string;
  lastAppliedAt?: string;
  /** State commit of the last run that tried to converge this resource (applied or not). */
  lastAttemptedCommit?: string;
  lastAttemptedAt?: string;
  specHash?: string;
  /** desiredFingerprint of what was last applied (drift at an unchanged fingerprint is "drift corrected"). */
  fingerprint?: string;
  image?: string;
  lastError?: string;
  conditions?: Condition[];
  /** Set while the resource is failing: the daemon does not retry the same spec before `retryAt`. */
  backoff?: BackoffState;
}

export interface StoredStatus {
  lastAppliedCommit?: string;
  lastAppliedAt?: string;
  lastAttemptedCommit?: string;
  lastAttemptedAt?: string;
  lastError?: string;
  resources: Record<string, ResourceRecord>;
}

/**
 * Writes a file atomically: a temporary file in the same directory, then rename. `mode` is set exactly (the
 * umask does not narrow it), before the file takes the name.
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  opts: { mode?: number } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, opts.mode === undefined ? {} : { mode: opts.mode });
  if (opts.mode !== undefined) await chmod(tmp, opts.mode);
  await rename(tmp, path);
}

export class StatusStore {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'status.json');
  }

  async read(): Promise<StoredStatus> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as StoredStatus;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { resources: {} };
      throw err;
    }
  }

  async write(status: StoredStatus): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(status, null, 2)}\n`);
  }
}
