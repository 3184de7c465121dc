// Editing the state repo as a commit: read the head, edit, validate everything, plan the change, commit.
import { isStateFilePath } from '../desired/load.js';
import { type CommitAuthor, type PendingCommit, startCommit } from '../drivers/git/commit.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { Plan } from '../plan/types.js';
import { computePlan, type Engine } from './engine.js';

export interface StateEditOptions {
  /**
   * Given the state files at the branch head (path → text), returns the files to change (path → new text, or
   * null to delete). Throw to refuse the edit; return {} for nothing to change.
   */
  edit(files: Map<string, string>): Record<string, string | null>;
  author: CommitAuthor;
  /** Commit message, e.g. `config: set LOG_LEVEL on app/blog` (a function: computed after the edit ran). */
  message: string | (() => string);
  /** Validate and plan only; commit nothing. */
  dryRun?: boolean;
}

export interface StateEditResult {
  /** The new commit; absent on a dry run or when the edit changed nothing. */
  commit?: string;
  /** What applying the edited state would do to the box (the same planning as `hiy plan`). */
  plan: Plan;
  /** Warnings about the edited state (errors are thrown, see editStateRepo). */
  diagnostics: Diagnostic[];
}

/**
 * Edits the state repo's branch in one commit. The whole edited state is validated first: any error throws
 * StateRepoInvalidError carrying every diagnostic, and nothing is committed. The plan of the change against the
 * box comes back with the commit; applying it is left to the daemon (or `hiy apply`), like any other commit.
 * A branch that moves during the edit refuses the commit (CommitRefusedError STATE_REPO_MOVED).
 * The working copy's status is read and the commit's objects are written while the edit is validated
 * (startCommit): only a valid edit moves the branch.
 */
export async function editStateRepo(engine: Engine, opts: StateEditOptions): Promise<StateEditResult> {
  const pending = opts.dryRun ? undefined : startCommit(engine.settings.stateRepo, engine.settings.branch);
  try {
    return await editAndCommit(engine, opts, pending);
  } finally {
    await pending?.cancel(); // a no-op once committed
  }
}

async function editAndCommit(
  engine: Engine,
  opts: StateEditOptions,
  pending: PendingCommit | undefined,
): Promise<StateEditResult> {
  const { stateRepo, branch } = engine.settings;
  const head = await engine.git.resolveBranch(stateRepo, branch);
  const tree = (await engine.git.listFiles(stateRepo, head)).filter((f) => isStateFilePath(f.path));
  const decoder = new TextDecoder();
  const files = new Map<string, string>();
  await Promise.all(
    tree.map(async (f) => files.set(f.path, decoder.decode(await engine.git.readBlob(stateRepo, f.oid)))),
  );
  const changes = Object.fromEntries(
    Object.entries(opts.edit(new Map(files))).filter(
      ([path, text]) => files.get(path) !== (text ?? undefined),
    ),
  );
  const next = new Map(files);
  for (const [path, text] of Object.entries(changes)) {
    if (text === null) next.delete(path);
    else next.set(path, text);
  }
  const changed = Object.keys(changes).length > 0;
  // The commit's objects are written while the new state is validated; only a valid one moves the branch.
  if (pending && changed) {
    const message = typeof opts.message === 'function' ? opts.message() : opts.message;
    pending.stage({ files: changes, author: opts.author, message, expectedHead: head });
  }
  // Planned exactly as `hiy plan` plans a commit: the same loading, the ports' declarations folded in.
  const planned = await computePlan(engine, {
    source: { files: [...next].map(([path, text]) => ({ path, text })), commit: head },
  });
  const plan = planned.plan;
  const diagnostics = planned.warnings ?? [];
  if (!pending || !changed) return { plan, diagnostics };
  const commit = await pending.commit();
  return { commit, plan: { ...plan, commit }, diagnostics };
}
