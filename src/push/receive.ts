// Receiving a push (git's pre-receive and post-receive hooks, run by `hiy git-hook`): an App push is built and
// deployed before git moves the branch, so a failure rejects the push and the running version stays; a state
// push is validated before (rejected with its diagnostics) and applied after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appsUsingRepo, loadAccess } from '../access/stateAccess.js';
import type { ApplyResult } from '../apply/apply.js';
import { buildImage } from '../apply/build.js';
import type { ApplyEvent } from '../apply/events.js';
import { loadDesiredFromFiles, loadWorktreeFiles, sourceKey } from '../desired/load.js';
import { recordPendingPush } from '../desired/pendingPushes.js';
import { exportCommit, listCommitFiles } from '../drivers/git/checkout.js';
import { STATE_REPO_NAME } from '../drivers/ssh/gitCommand.js';
import {
  applyAndRecord,
  assertSafeToApply,
  computePlan,
  type Engine,
  type Planned,
  reposDir,
  withApplyLock,
} from '../engine/engine.js';
import { formatDiagnostic, StateRepoInvalidError } from '../model/diagnostics.js';
import { resourceId } from '../model/names.js';
import type { AppResource } from '../model/resources.js';
import type { ImageBuild } from '../plan/types.js';
import { waitForBuildSlot } from './buildQueue.js';

/** One line of a hook's stdin: `OLD NEW REF`. */
export interface RefUpdate {
  oldCommit: string;
  newCommit: string;
  ref: string;
}

const ZERO = /^0+$/;

export function parseRefUpdates(text: string): RefUpdate[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter((p) => p.length === 3)
    .map(([oldCommit, newCommit, ref]) => ({ oldCommit: oldCommit!, newCommit: newCommit!, ref: ref! }));
}

export interface ReceiveContext {
  /** The engine of the settings the hook runs with (real drivers). */
  engine: Engine;
  /** `state` or the App repository name. */
  repo: string;
  user: string;
  /** Absolute path of the repository being pushed. */
  gitDir: string;
  /** Git's variables of the hook (GIT_DIR and the quarantine object directory): only for reading the pushed objects. */
  gitEnv: Record<string, string>;
  out(text: string): void;
  /** Builds at once (HIY_BUILDS_AT_ONCE, default 1). */
  buildSlots: number;
  /** git-receive-pack's pid (the hook's parent): it moves the branch after the hook. */
  receivePackPid: number;
}

/** Output for the pusher's terminal: stage headers, indented detail, and failures that stand out. */
class Terminal {
  constructor(private readonly out: (t: string) => void) {}
  stage(text: string): void {
    this.out(`-----> ${text}\n`);
  }
  line(text: string): void {
    this.out(`       ${text}\n`);
  }
  fail(text: string): void {
    for (const l of text.split('\n')) this.out(` !     ${l}\n`);
  }
  /** Apply progress, one line per event. */
  progress(e: ApplyEvent): void {
    switch (e.type) {
      case 'action.started':
        this.line(`${e.action.address}: ${e.action.change === 'delete' ? 'destroying' : 'applying'}…`);
        break;
      case 'action.progress':
        this.line(`${e.action.address}: ${e.message}`);
        break;
      case 'action.output':
        this.line(`│ ${e.line}`);
        break;
      case 'action.finished':
        this.line(`${e.action.address}: done in ${(e.ms / 1000).toFixed(1)}s${e.note ? ` (${e.note})` : ''}`);
        break;
      case 'action.failed':
        this.fail(`${e.action.address}: FAILED after ${(e.ms / 1000).toFixed(1)}s: ${e.error}`);
        break;
      case 'caddy.loaded':
        this.line(`caddy: ${e.routes} route(s) loaded in one change`);
        break;
      default:
        break;
    }
  }
}

function short(commit: string): string {
  return commit.slice(0, 12);
}

/** Runs fn under the apply lock, waiting (up to 30 minutes) while another apply holds it. */
function withApplyLockWaiting<T>(engine: Engine, term: Terminal, fn: () => Promise<T>): Promise<T> {
  return withApplyLock(
    {
      ...engine,
      lockWaitMs: 30 * 60_000,
      onLockWait: (busy) => term.line(`waiting for another apply to finish (pid ${busy.data.pid})…`),
    },
    fn,
  );
}

function reportInvalid(term: Terminal, err: StateRepoInvalidError): void {
  const errors = err.diagnostics.filter((d) => d.severity === 'error');
  term.fail(`the state repo has ${errors.length} error(s):`);
  for (const d of errors) term.fail(formatDiagnostic(d));
}

function urls(apps: AppResource[], tls: string): string[] {
  const scheme = tls === 'off' ? 'http' : 'https';
  return apps.flatMap((a) => (a.spec.routes ?? []).map((r) => `${scheme}://${r.host}${r.path ?? '/'}`));
}

/** pre-receive of an App repository: build and deploy every pushed branch that an App deploys. */
async function receiveAppPush(updates: RefUpdate[], ctx: ReceiveContext, term: Terminal): Promise<number> {
  const { engine } = ctx;
  const access = await loadAccess(engine.settings, engine.git);
  const apps = appsUsingRepo(access, ctx.repo);
  const overrides = new Map<string, string>();
  const deploying: { app: AppResource; update: RefUpdate }[] = [];
  for (const u of updates) {
    const branch = u.ref.startsWith('refs/heads/') ? u.ref.slice('refs/heads/'.length) : undefined;
    const deployedBy = apps.filter((a) => a.spec.source.branch === branch);
    if (!branch || deployedBy.length === 0) {
      term.line(`${u.ref}: stored (no App deploys it)`);
      continue;
    }
    const names = deployedBy.map((a) => a.metadata.name).join(', ');
    if (ZERO.test(u.newCommit)) {
      term.fail(`deleting branch ${branch} is refused: App ${names} deploys it`);
      return 1;
    }
    overrides.set(sourceKey(ctx.gitDir, branch), u.newCommit);
    for (const app of deployedBy) deploying.push({ app, update: u });
  }
  if (deploying.length === 0) return 0;
  const ids = new Set(deploying.map((d) => resourceId('App', d.app.metadata.name) as string));
  const pushed: Engine = {
    ...engine,
    sourceOverrides: overrides,
    // The pushed objects are still in git's quarantine: only git with the hook's variables can read them.
    exportCommit: (gitDir, commit, dest) =>
      gitDir === ctx.gitDir
        ? exportCommit(gitDir, commit, dest, ctx.gitEnv)
        : engine.exportCommit(gitDir, commit, dest),
    // Reading the state sees whether the pushed commit has a Containerfile (src/desired/generatedBuild.ts).
    git: {
      resolveBranch: (dir, branch) => engine.git.resolveBranch(dir, branch),
      readBlob: (dir, oid) => engine.git.readBlob(dir, oid),
      listFiles: (dir, commit, skipped) =>
        dir === ctx.gitDir
          ? listCommitFiles(dir, commit, ctx.gitEnv)
          : engine.git.listFiles(dir, commit, skipped),
    },
  };
  for (const d of deploying) {
    term.stage(
      `${d.app.metadata.name}: ${d.update.ref.replace('refs/heads/', '')} ${short(d.update.newCommit)} pushed by ${ctx.user}`,
    );
  }

  // 1. Build, one push at a time (or HIY_BUILDS_AT_ONCE), without holding the apply lock.
  const first = deploying[0]!;
  const queued = await waitForBuildSlot(
    {
      repo: ctx.repo,
      branch: first.app.spec.source.branch,
      commit: first.update.newCommit,
      user: ctx.user,
    },
    {
      dataDir: engine.settings.dataDir,
      slots: ctx.buildSlots,
      onWait: (ahead) =>
        term.line(`queued: waiting for ${ahead > 0 ? `${ahead} build(s) ahead` : 'a build slot'}…`),
    },
  );
  if (queued.kind === 'superseded') {
    term.fail(
      `superseded by a newer push to ${ctx.repo} (${short(queued.by.commit)} by ${queued.by.user}) while queued; not deployed, push rejected`,
    );
    return 1;
  }
  let planned: Planned;
  try {
    try {
      planned = await computePlan(pushed);
    } catch (err) {
      if (err instanceof StateRepoInvalidError) {
        reportInvalid(term, err);
        term.fail('nothing was built or deployed; push rejected (fix the state repo first)');
        return 1;
      }
      throw err;
    }
    const builds = planned.plan.actions.filter(
      (a): a is ImageBuild => a.kind === 'image.build' && ids.has(a.resource),
    );
    for (const action of builds) {
      term.stage(`Building ${action.resource} → ${action.image.tag}`);
      const started = Date.now();
      try {
        const note = await buildImage(action, {
          podman: pushed.podman,
          caddy: pushed.caddy,
          prober: pushed.prober,
          exportCommit: pushed.exportCommit,
          caddyConfig: null,
          dataDir: engine.settings.dataDir,
          build: engine.build,
          onEvent: (e) => term.progress(e),
        });
        term.line(`built in ${((Date.now() - started) / 1000).toFixed(1)}s${note ? ` (${note})` : ''}`);
      } catch (err) {
        term.fail(`build of ${action.resource} FAILED: ${(err as Error).message}`);
        term.fail('the running version is unchanged; push rejected');
        return 1;
      }
    }
  } finally {
    await queued.slot.release();
  }

  // 2. Deploy: a full reconcile with the pushed commit, under the apply lock; health-gated by apply.
  term.stage('Deploying');
  let result: ApplyResult;
  let plan: Planned['plan'];
  try {
    ({ result, plan } = await withApplyLockWaiting(pushed, term, async () => {
      const p = await computePlan(pushed, { forApply: true });
      assertSafeToApply(p.plan, { allowMassDelete: false });
      if (p.plan.actions.length === 0) term.line('nothing to change: this commit is already running');
      const applied = await applyAndRecord(pushed, p, (e) => term.progress(e));
      // Until git moves the branch (after this hook), reconciles keep the pushed commit (reconcile/pushes.ts).
      for (const d of deploying) {
        await recordPendingPush(engine.settings.dataDir, {
          gitDir: ctx.gitDir,
          branch: d.app.spec.source.branch,
          commit: d.update.newCommit,
          pid: ctx.receivePackPid,
        });
      }
      return { result: applied, plan: p.plan };
    }));
  } catch (err) {
    if (err instanceof StateRepoInvalidError) reportInvalid(term, err);
    else term.fail((err as Error).message);
    term.fail('not deployed; the running version is unchanged; push rejected');
    return 1;
  }
  const ours = result.results.filter((r) => {
    const a = plan.actions.find((x) => x.address === r.address);
    return a !== undefined && ids.has(a.resource);
  });
  const failed = ours.filter((r) => r.status !== 'done');
  if (failed.length > 0) {
    for (const r of failed) term.fail(`${r.address}: ${r.status}${r.error ? `: ${r.error}` : ''}`);
    term.fail('deploy FAILED: the previous version keeps running; push rejected');
    return 1;
  }
  if (!result.ok) {
    term.line('note: other resources failed in the same reconcile (see hiy status); this push is deployed');
  }
  const live = urls(
    deploying.map((d) => d.app),
    engine.settings.tls,
  );
  term.stage(`Deployed ${[...ids].join(', ')}${live.length ? `: ${live.join(' ')}` : ''}`);
  return 0;
}

/** pre-receive of the state repo: the pushed head of the applied branch must be a valid state. */
async function validateStatePush(updates: RefUpdate[], ctx: ReceiveContext, term: Terminal): Promise<number> {
  const { settings } = ctx.engine;
  for (const u of updates) {
    if (u.ref !== `refs/heads/${settings.branch}`) {
      term.line(`${u.ref}: stored (HIY applies ${settings.branch})`);
      continue;
    }
    if (ZERO.test(u.newCommit)) {
      term.fail(`deleting ${settings.branch}, the branch HIY applies, is refused`);
      return 1;
    }
    term.stage(`Validating state ${short(u.newCommit)} pushed by ${ctx.user}`);
    const dir = await mkdtemp(join(tmpdir(), 'hiy-state-'));
    try {
      await exportCommit(ctx.gitDir, u.newCommit, dir, ctx.gitEnv);
      const result = await loadDesiredFromFiles(await loadWorktreeFiles(dir), {
        settings,
        git: ctx.engine.git,
        reposDir: reposDir(settings),
        commit: u.newCommit,
      });
      for (const d of result.diagnostics.filter((x) => x.severity === 'warning'))
        term.line(formatDiagnostic(d));
      if (!result.state) {
        reportInvalid(term, new StateRepoInvalidError(result.diagnostics));
        term.fail('push rejected: nothing was applied');
        return 1;
      }
      term.line(`valid: ${result.state.resources.length} resource(s); applied as soon as the push completes`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return 0;
}

/** post-receive of the state repo: reconcile the new head (git has accepted the push already). */
async function applyStatePush(updates: RefUpdate[], ctx: ReceiveContext, term: Terminal): Promise<number> {
  const { engine } = ctx;
  const u = updates.find((x) => x.ref === `refs/heads/${engine.settings.branch}` && !ZERO.test(x.newCommit));
  if (!u) return 0;
  term.stage(`Applying state ${short(u.newCommit)}`);
  try {
    const result = await withApplyLockWaiting(engine, term, async () => {
      const p = await computePlan(engine, { forApply: true });
      assertSafeToApply(p.plan, { allowMassDelete: false });
      if (p.plan.actions.length === 0) term.line('no changes');
      return applyAndRecord(engine, p, (e) => term.progress(e));
    });
    if (!result.ok) {
      term.fail('apply FAILED (see above and hiy status); the state push itself is kept');
      return 1;
    }
    term.stage('State applied');
    return 0;
  } catch (err) {
    if (err instanceof StateRepoInvalidError) reportInvalid(term, err);
    else term.fail((err as Error).message);
    term.fail('not applied; the state push itself is kept');
    return 1;
  }
}

/** Every push through git-shell is audited (`<dataDir>/audit.log`, via ssh) with its outcome. */
async function audited(
  ctx: ReceiveContext,
  action: string,
  updates: RefUpdate[],
  run: () => Promise<number>,
): Promise<number> {
  const code = await run();
  await ctx.engine.stores.audit
    .append({
      actor: ctx.user,
      via: 'ssh',
      action,
      target: ctx.repo,
      result: code === 0 ? 'ok' : 'failed',
      detail: updates.map((u) => `${u.ref.replace('refs/heads/', '')} ${short(u.newCommit)}`).join(', '),
    })
    .catch((err: Error) => ctx.engine.logger.error({ error: err.message }, 'could not write the audit log'));
  return code;
}

/** The pre-receive hook: a non-zero result rejects the whole push. */
export async function preReceive(updates: RefUpdate[], ctx: ReceiveContext): Promise<number> {
  const term = new Terminal(ctx.out);
  const state = ctx.repo === STATE_REPO_NAME;
  return audited(ctx, state ? 'push.validate' : 'push.deploy', updates, async () => {
    try {
      return state ? await validateStatePush(updates, ctx, term) : await receiveAppPush(updates, ctx, term);
    } catch (err) {
      term.fail(`push rejected: ${(err as Error).message}`);
      return 1;
    }
  });
}

/** The post-receive hook (state repo only): its result is reported but cannot undo the push. */
export async function postReceive(updates: RefUpdate[], ctx: ReceiveContext): Promise<number> {
  if (ctx.repo !== STATE_REPO_NAME) return 0;
  return audited(ctx, 'push.apply', updates, () => applyStatePush(updates, ctx, new Terminal(ctx.out)));
}
