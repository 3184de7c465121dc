// Committing files to a branch of a local repository (bare or working copy) with real git, without touching other files.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { errorMessage, HiyError } from '../../model/errors.js';
import { writableGitdir, writeCommitObjects } from './objects.js';
import { updateRef } from './refs.js';
import { type CommitAuthor, GitError } from './types.js';

export type { CommitAuthor };

export interface CommitFilesOptions {
  /** The repository: a working copy or a bare repository. */
  dir: string;
  branch: string;
  /** Path → new content, or null to delete the file. Other files stay as they are. */
  files: Record<string, string | null>;
  /** Author and committer of the new commit. */
  author: CommitAuthor;
  message: string;
  /** The branch head the edit was computed from; the commit is refused when the branch has moved since. */
  expectedHead?: string;
}

export type CommitErrorCode = 'STATE_REPO_MOVED' | 'STATE_REPO_DIRTY' | 'GIT_IDENTITY_MISSING';

/** A commit refused for a reason the user can act on (as opposed to GitError, git itself failing). */
export class CommitRefusedError extends HiyError<{ dir: string; branch?: string; files?: string[] }> {
  declare readonly code: CommitErrorCode;
  constructor(
    code: CommitErrorCode,
    message: string,
    data: { dir: string; branch?: string; files?: string[] },
  ) {
    super(code, message, { data });
    this.name = 'CommitRefusedError';
  }
}

type Git = (args: string[], opts?: { input?: string; env?: Record<string, string> }) => Promise<string>;

function gitIn(dir: string): Git {
  return async (args, opts = {}) => {
    try {
      const r = await execa('git', ['-C', dir, ...args], {
        ...(opts.input !== undefined && { input: opts.input }),
        env: { GIT_TERMINAL_PROMPT: '0', ...opts.env },
        stripFinalNewline: true,
      });
      return r.stdout;
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? errorMessage(err)).trim();
      throw new GitError(
        `git ${args[0]} in ${dir} failed: ${stderr.split('\n')[0]}`,
        { dir },
        { cause: err },
      );
    }
  };
}

/**
 * Makes one commit on `branch` that changes exactly `files`, and returns its id. On a bare repository only
 * the branch moves. On a working copy whose checkout is `branch`, uncommitted edits to tracked files refuse the
 * commit (they would be mixed up with it), and the index and files are then updated to the new commit.
 * The blobs, trees and commit are written and the branch moved in-process, as git does (objects.ts, refs.ts:
 * no git process to start on a bare repository), the branch only if it is still at `expectedHead`, so a
 * concurrent commit is never lost (STATE_REPO_MOVED). `git fast-import` or `git update-ref` do it where HIY
 * cannot (SHA-256 objects, a `.git` file, another ref storage).
 */
export async function commitFiles(opts: CommitFilesOptions): Promise<string> {
  return startCommit(opts.dir, opts.branch).commit(opts);
}

/** A commit being prepared: its repository inspected, its objects possibly written ahead (`stage`). */
export interface PendingCommit {
  /**
   * Starts writing the commit's objects while the caller still checks the edit: nothing refers to them until
   * `commit` moves the branch (objects of an edit then refused are left for git's gc, like any dangling object).
   */
  stage(opts: StageOptions): void;
  /** Makes the commit: the staged one when `opts` is omitted. */
  commit(opts?: Omit<CommitFilesOptions, 'dir' | 'branch'>): Promise<string>;
  /** Ends what startCommit started without a commit; does nothing after `commit`. */
  cancel(): Promise<void>;
}

/** What `stage` needs: the whole commit, on top of a known head. */
export type StageOptions = Omit<CommitFilesOptions, 'dir' | 'branch' | 'expectedHead'> & {
  expectedHead: string;
};

/**
 * Starts what commitFiles needs before the commit is decided: the working copy's status (one `git status`;
 * nothing on a bare repository) and, once staged, the commit's objects. A caller that validates the edit
 * meanwhile (editStateRepo) does not wait for them afterwards. One of `commit` and `cancel` must be called.
 */
export function startCommit(dir: string, branch: string): PendingCommit {
  const git = gitIn(dir);
  const inspection = inspect(git, dir, branch);
  inspection.catch(() => undefined); // reported by commit(); a cancelled commit has nothing to report
  let used = false;
  let staged: { opts: StageOptions; objects: Promise<string | undefined> } | undefined;
  return {
    stage(opts) {
      const objects = writableGitdir(dir, opts.expectedHead).then((gitdir) =>
        gitdir ? writeCommitObjects({ gitdir, parent: opts.expectedHead, ...opts }) : undefined,
      );
      objects.catch(() => undefined); // written again by commit(), which reports a failure
      staged = { opts, objects };
    },
    async cancel() {
      if (used) return;
      used = true;
      await Promise.all([inspection.catch(() => undefined), staged?.objects.catch(() => undefined)]);
    },
    async commit(edit) {
      if (used) throw new Error('startCommit: commit or cancel was already called');
      used = true;
      const opts = edit ?? staged?.opts;
      if (!opts) throw new Error('startCommit: commit() without options needs stage() first');
      const written = opts === staged?.opts ? await staged.objects.catch(() => undefined) : undefined;
      return commitWith(git, { ...opts, dir, branch }, await inspection, written);
    },
  };
}

/** The commit itself, once the working copy's status is known; `written`: its objects, already written. */
async function commitWith(
  git: Git,
  opts: CommitFilesOptions,
  status: WorkingCopyStatus,
  written?: string,
): Promise<string> {
  const { dir, branch } = opts;
  const ref = `refs/heads/${branch}`;
  const { checkedOut, current } = status;
  if (checkedOut && status.dirty.length > 0) {
    throw new CommitRefusedError(
      'STATE_REPO_DIRTY',
      `the working copy ${dir} has uncommitted edits (${status.dirty.join(', ')}); commit or discard them first`,
      { dir, branch, files: status.dirty },
    );
  }
  const expected =
    opts.expectedHead ??
    current ??
    (await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => ''));
  if (!expected || current === '(initial)') {
    throw new GitError(`git repository ${dir} has no branch ${branch}`, { dir, ref });
  }
  if (current !== undefined && current !== expected) throw moved(opts, expected, current);
  const gitdir = await writableGitdir(dir, expected);
  const ahead = gitdir && expected === opts.expectedHead ? written : undefined;
  const commit = gitdir
    ? (ahead ?? (await writeCommitObjects({ gitdir, parent: expected, ...opts })))
    : await fastImport(git, opts, ref, expected);
  if (gitdir) {
    const r = await updateRef({
      gitdir,
      ref,
      next: commit,
      expected,
      who: opts.author,
      message: `hiy: ${opts.message}`,
      headToo: checkedOut,
    });
    if (!r.ok && r.reason === 'moved') throw moved(opts, expected, r.current);
    if (!r.ok && r.reason === 'locked') {
      throw new GitError(`${ref} of ${dir} is being changed by another git (${ref}.lock exists); try again`, {
        dir,
        ref,
      });
    }
    if (!r.ok) {
      // A ref storage HIY does not write itself: git moves the branch, still only from `expected`.
      await git(['update-ref', '-m', `hiy: ${opts.message.split('\n')[0]}`, ref, commit, expected]).catch(
        async (err) => {
          const now = await git(['rev-parse', '--verify', '--quiet', ref]).catch(() => '');
          throw now !== expected ? moved(opts, expected, now) : err;
        },
      );
    }
  }
  // The checkout follows the branch: a two-tree merge updates the index and the changed files only.
  if (checkedOut) await git(['read-tree', '-m', '-u', expected, commit]);
  return commit;
}

/** One `git fast-import` writes the commit and moves the branch if that is a fast-forward of `expected`. */
async function fastImport(
  git: Git,
  opts: CommitFilesOptions,
  ref: string,
  expected: string,
): Promise<string> {
  const r = await execa('git', ['-C', opts.dir, 'fast-import', '--quiet', '--date-format=now'], {
    input: fastImportStream(ref, expected, opts),
    reject: false,
    stripFinalNewline: true,
  });
  if (r.exitCode !== 0) {
    if (/Not updating/.test(r.stderr)) {
      throw moved(opts, expected, await git(['rev-parse', '--verify', '--quiet', ref]).catch(() => ''));
    }
    throw new GitError(`git fast-import in ${opts.dir} failed: ${r.stderr.trim().split('\n')[0]}`, {
      dir: opts.dir,
      ref,
    });
  }
  return r.stdout.trim();
}

interface WorkingCopyStatus {
  /** A working copy with `branch` checked out. */
  checkedOut: boolean;
  /** Its head (`(initial)` before the first commit). */
  current?: string;
  /** Tracked files with uncommitted edits. */
  dirty: string[];
}

/** Whether `dir` is a working copy with `branch` checked out, and if so its head and uncommitted edits. */
async function inspect(git: Git, dir: string, branch: string): Promise<WorkingCopyStatus> {
  const workingCopy = await stat(join(dir, '.git')).then(
    () => true,
    () => false,
  );
  if (!workingCopy) return { checkedOut: false, dirty: [] };
  // One call: the checked-out branch, its head, and any uncommitted edit to a tracked file.
  const status = await git(['status', '--porcelain=v2', '--branch', '--untracked-files=no']);
  const lines = status.split('\n').filter(Boolean);
  const header = (key: string) => lines.find((l) => l.startsWith(`# branch.${key} `))?.split(' ')[2];
  if (header('head') !== branch) return { checkedOut: false, dirty: [] };
  const dirty = lines.filter((l) => !l.startsWith('#')).map((l) => l.split(/\t| /).pop()!);
  return { checkedOut: true, current: header('oid'), dirty };
}

/** The `git fast-import` input of one commit on top of `parent`, printing the new commit id. */
function fastImportStream(ref: string, parent: string, opts: CommitFilesOptions): string {
  const who = `${opts.author.name.replace(/[<>\n]/g, '')} <${opts.author.email.replace(/[<>\n]/g, '')}> now`;
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const out = [
    `commit ${ref}\nmark :1\nauthor ${who}\ncommitter ${who}\n${data(opts.message)}from ${parent}\n`,
  ];
  for (const [path, content] of Object.entries(opts.files)) {
    if (content === null) out.push(`D ${quotePath(path)}\n`);
    else out.push(`M 100644 inline ${quotePath(path)}\n${data(content)}`);
  }
  out.push('\nget-mark :1\n');
  return out.join('');
}

/** A path as fast-import reads it: C-style quoted when it could be misread. */
function quotePath(path: string): string {
  if (!/^["\s]|[\n\\"]/.test(path)) return path;
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function moved(opts: CommitFilesOptions, expected: string, now: string): CommitRefusedError {
  return new CommitRefusedError(
    'STATE_REPO_MOVED',
    `${opts.branch} of ${opts.dir} moved from ${expected.slice(0, 12)} to ${now.slice(0, 12) || 'nothing'} during the edit; try again`,
    { dir: opts.dir, branch: opts.branch },
  );
}

/** git's configured identity (`user.name`/`user.email`) for a repository (its config, then the global one). */
export async function gitIdentity(dir: string): Promise<CommitAuthor | undefined> {
  // One call for both: `--get-regexp` prints `user.name VALUE` and `user.email VALUE` lines (exit 1 when none).
  const out = await gitIn(dir)(['config', '--get-regexp', '^user\\.(name|email)$']).catch(() => '');
  const value = (key: string) =>
    out
      .split('\n')
      .filter((l) => l.startsWith(`${key} `))
      .pop()
      ?.slice(key.length + 1)
      .trim();
  const name = value('user.name');
  const email = value('user.email');
  return name && email ? { name, email } : undefined;
}
