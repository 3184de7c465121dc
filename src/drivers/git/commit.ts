// Committing files to a branch of a local repository (bare or working copy) with real git, without touching other files.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { GitError } from './types.js';

export interface CommitAuthor {
  name: string;
  email: string;
}

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
export class CommitRefusedError extends Error {
  constructor(
    readonly code: CommitErrorCode,
    message: string,
    readonly data: { dir: string; branch?: string; files?: string[] },
  ) {
    super(message);
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
      const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message).trim();
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
 * the branch moves. On a working copy, uncommitted edits to tracked files refuse the commit (they would be
 * mixed up with it); when the branch is checked out, the index and files are updated to the new commit.
 * The branch moves with a compare-and-swap, so a concurrent commit is never lost (STATE_REPO_MOVED).
 */
export async function commitFiles(opts: CommitFilesOptions): Promise<string> {
  const git = gitIn(opts.dir);
  const [bare, , headRef] = (
    await git(['rev-parse', '--is-bare-repository', '--absolute-git-dir', '--symbolic-full-name', 'HEAD'])
  ).split('\n');
  const ref = `refs/heads/${opts.branch}`;
  const current = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '');
  if (!current)
    throw new GitError(`git repository ${opts.dir} has no branch ${opts.branch}`, { dir: opts.dir, ref });
  const expected = opts.expectedHead ?? current;
  if (current !== expected) throw moved(opts, expected, current);
  const checkedOut = bare !== 'true' && headRef === ref;
  if (checkedOut) {
    const dirty = await git(['status', '--porcelain', '--untracked-files=no']);
    if (dirty) {
      const files = dirty.split('\n').map((l) => l.slice(3));
      throw new CommitRefusedError(
        'STATE_REPO_DIRTY',
        `the working copy ${opts.dir} has uncommitted edits (${files.join(', ')}); commit or discard them first`,
        { dir: opts.dir, branch: opts.branch, files },
      );
    }
  }
  const tmp = await mkdtemp(join(tmpdir(), 'hiy-commit-'));
  try {
    const env = { GIT_INDEX_FILE: join(tmp, 'index') };
    await git(['read-tree', expected], { env });
    const lines: string[] = [];
    for (const [path, content] of Object.entries(opts.files)) {
      if (content === null) {
        lines.push(`0 ${'0'.repeat(40)}\t${path}`);
      } else {
        const oid = await git(['hash-object', '-w', '--stdin'], { input: content });
        lines.push(`100644 ${oid}\t${path}`);
      }
    }
    await git(['update-index', '--index-info'], { env, input: `${lines.join('\n')}\n` });
    const tree = await git(['write-tree'], { env });
    const who = {
      GIT_AUTHOR_NAME: opts.author.name,
      GIT_AUTHOR_EMAIL: opts.author.email,
      GIT_COMMITTER_NAME: opts.author.name,
      GIT_COMMITTER_EMAIL: opts.author.email,
    };
    const commit = await git(['commit-tree', tree, '-p', expected, '-F', '-'], {
      env: who,
      input: opts.message,
    });
    try {
      await git(['update-ref', '-m', `hiy: ${opts.message.split('\n')[0]}`, ref, commit, expected]);
    } catch (err) {
      const now = await git(['rev-parse', '--verify', '--quiet', ref]).catch(() => '');
      if (now !== expected) throw moved(opts, expected, now);
      throw err;
    }
    // The checkout follows the branch: a two-tree merge updates the index and the changed files only.
    if (checkedOut) await git(['read-tree', '-m', '-u', expected, commit]);
    return commit;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
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
  const git = gitIn(dir);
  const [name, email] = await Promise.all([
    git(['config', 'user.name']).catch(() => ''),
    git(['config', 'user.email']).catch(() => ''),
  ]);
  return name && email ? { name, email } : undefined;
}
