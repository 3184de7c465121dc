// Triggers only enqueue: a new commit on the state repo's branch (a watch on its refs), a cron resync, and a
// one-shot timer for the earliest backoff expiry. None of them decides anything about what a run does.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CronJob, validateCronExpression } from 'cron';
import type { GitReader } from '../drivers/git/types.js';
import { watchDir } from '../drivers/watch/watch.js';
import { HiyError } from '../model/errors.js';

/** A stoppable trigger. */
export interface TriggerHandle {
  stop(): Promise<void>;
}

/** An invalid cron expression (the message says which and why). */
export class CronExpressionError extends HiyError<{ expression: string; what: string }> {
  constructor(data: { expression: string; what: string }, detail: string) {
    super(
      'CRON_INVALID',
      `${data.what}: "${data.expression}" is not a cron expression (${detail}); e.g. "* * * * *" every minute, "*/30 * * * * *" every 30 seconds`,
      { data },
    );
    this.name = 'CronExpressionError';
  }
}

/** Checks a cron expression: 5 fields (minute first) or 6 (seconds first). */
export function checkCron(expression: string, what: string): void {
  const fields = expression.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6)
    throw new CronExpressionError({ expression, what }, `${fields} field(s); give 5 or 6`);
  const r = validateCronExpression(expression);
  if (!r.valid) throw new CronExpressionError({ expression, what }, r.error?.message ?? 'invalid');
}

/** Calls onTick on a cron schedule (seconds allowed), in local time. */
export function cronTrigger(expression: string, onTick: () => void): TriggerHandle {
  checkCron(expression, 'schedule');
  const job = CronJob.from({ cronTime: expression, onTick, start: true });
  return {
    async stop() {
      await job.stop();
    },
  };
}

/**
 * The directory holding the repository's refs: `.git` of a working copy (or, for a linked worktree, its
 * common dir), or the repository itself when bare.
 */
export async function refsDir(repo: string): Promise<string> {
  const dotGit = join(repo, '.git');
  let gitdir = repo;
  const st = await stat(dotGit).catch(() => undefined);
  if (st?.isDirectory()) gitdir = dotGit;
  else if (st?.isFile()) {
    const m = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, 'utf8'));
    if (m) gitdir = resolve(repo, m[1]!.trim());
  }
  const common = await readFile(join(gitdir, 'commondir'), 'utf8').catch(() => undefined);
  return common ? resolve(gitdir, common.trim()) : gitdir;
}

export interface RepoWatchOptions {
  repo: string;
  branch: string;
  git: GitReader;
  /** Called with the new head commit of the branch, once per change (coalesced over `debounceMs`). */
  onCommit(commit: string): void;
  onError?(err: unknown): void;
  debounceMs?: number;
}

/**
 * Watches `HEAD`, `packed-refs` and `refs/heads/**` of the state repo (working copy or bare) and calls onCommit
 * when the branch head moves. Git updates a ref by renaming `NAME.lock` over it, or rewrites `packed-refs`
 * (gc, pack-refs), so every event under those paths re-resolves the branch and compares.
 */
export async function watchStateRepo(opts: RepoWatchOptions): Promise<TriggerHandle> {
  const dir = await refsDir(opts.repo);
  let last = await opts.git.resolveBranch(opts.repo, opts.branch).catch(() => '');
  const allowed = (p: string): boolean => {
    const rel = relative(dir, isAbsolute(p) ? p : resolve(dir, p))
      .split(sep)
      .join('/');
    if (rel === '' || rel === 'HEAD' || rel === 'packed-refs' || rel === 'refs' || rel === 'refs/heads')
      return true;
    return rel.startsWith('refs/heads/') && !rel.endsWith('.lock');
  };
  let timer: NodeJS.Timeout | undefined;
  let checking = Promise.resolve();
  const check = () => {
    checking = checking.then(async () => {
      try {
        const head = await opts.git.resolveBranch(opts.repo, opts.branch);
        if (head !== last) {
          last = head;
          opts.onCommit(head);
        }
      } catch (err) {
        opts.onError?.(err);
      }
    });
  };
  const watcher = watchDir(dir, {
    ignored: (p) => !allowed(p),
    depth: 8,
    onEvent: () => {
      clearTimeout(timer);
      timer = setTimeout(check, opts.debounceMs ?? 20);
    },
    onError: (err) => opts.onError?.(err),
  });
  await watcher.ready;
  // A commit made between the first resolve and the watch being ready is not missed.
  check();
  return {
    async stop() {
      clearTimeout(timer);
      await watcher.close();
      await checking;
    },
  };
}

/** A timer that can be re-armed for the earliest of several instants (used for backoff expiry). */
export class WakeUpTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Number.POSITIVE_INFINITY;

  constructor(private readonly onWake: () => void) {}

  /** Arms the timer for `when` unless it is already armed earlier. Instants in the past fire at once. */
  armAt(when: Date): void {
    const t = when.getTime();
    if (this.timer && t >= this.at) return;
    clearTimeout(this.timer);
    this.at = t;
    // Capped at 24 days (setTimeout's limit); backoff never gets near that.
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.at = Number.POSITIVE_INFINITY;
        this.onWake();
      },
      Math.min(Math.max(t - Date.now(), 0), 2 ** 31 - 1),
    );
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
  }
}
