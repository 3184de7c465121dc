// Receiving a push (git's pre-receive and post-receive hooks, run by `hiy git-hook`): an App push is built and
// deployed before git moves the branch, so a failure rejects the push and the running version stays; a state
// push is validated before (rejected with its diagnostics) and applied after.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { appsUsingRepo, loadAccess } from '../access/stateAccess.js';
import type { ApplyResult } from '../apply/apply.js';
import { BuildStepError, buildImage, buildLogPath } from '../apply/build.js';
import { formatLimit, formatStepMs } from '../apply/buildSteps.js';
import { loadDesiredFromFiles, loadWorktreeFiles, sourceKey } from '../desired/load.js';
import { recordPendingPush } from '../desired/pendingPushes.js';
import { exportCommit, listCommitFiles } from '../drivers/git/checkout.js';
import { STATE_REPO_NAME } from '../drivers/ssh/gitCommand.js';
import { recordBuildEvent } from '../engine/builds.js';
import { computePlan, type Engine, type Planned, reposDir, runOperation } from '../engine/engine.js';
import { formatDiagnostic, StateRepoInvalidError } from '../model/diagnostics.js';
import { errorMessage } from '../model/errors.js';
import { resourceId } from '../model/names.js';
import { parseDuration } from '../model/quantity.js';
import type { AppResource } from '../model/resources.js';
import type { ImageBuild } from '../plan/types.js';
import { waitForBuildSlot } from './buildQueue.js';
import { PushBuild } from './buildRun.js';
import { DEFAULT_BUILD_TIMEOUT_MS } from './buildSettings.js';
import { Terminal } from './terminal.js';

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
  /** `git push -o …`: `detach` keeps building when the pusher disconnects. */
  pushOptions?: string[];
  /** True once the pusher's connection is gone (ssh closed, Ctrl-C); absent: never. */
  pusherGone?: () => boolean;
}

function short(commit: string): string {
  return commit.slice(0, 12);
}

/** A push waits (up to 30 minutes) while another apply holds the lock. */
const PUSH_LOCK_WAIT = { ms: 30 * 60_000 };

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

  // The build's record (hiy build list, the Building condition), its cancel request, its pusher, its limit.
  const first = deploying[0]!;
  const detached = (ctx.pushOptions ?? []).includes('detach');
  const timeoutMs = Math.max(
    ...deploying.map((d) =>
      d.app.spec.build.timeout !== undefined
        ? parseDuration(d.app.spec.build.timeout)
        : (engine.build?.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS),
    ),
  );
  const build = await PushBuild.start({
    engine,
    apps: [...ids],
    repo: ctx.repo,
    branch: first.app.spec.source.branch,
    commit: first.update.newCommit,
    user: ctx.user,
    detached,
    timeoutMs,
    logs: deploying.map((d) =>
      relative(
        engine.settings.dataDir,
        buildLogPath(engine.settings.dataDir, d.app.metadata.name, d.update.newCommit),
      ),
    ),
    pusherGone: () => ctx.pusherGone?.() ?? false,
  });
  const names = deploying.map((d) => d.app.metadata.name);
  term.line(
    `build time limit ${formatLimit(timeoutMs)}; stop it with: hiy build cancel ${names[0]}${detached ? '' : ' (or Ctrl-C)'}`,
  );
  if (detached)
    term.line('detached (-o detach): the build goes on if you disconnect; follow it with hiy logs --build');
  let buildStarted = Date.now();
  // A silent step (a download that hangs) still says it is alive, and a write is how a closed pipe shows.
  const heartbeat = setInterval(() => {
    if (build.state !== 'building' || Date.now() - term.lastWrite < 20_000) return;
    term.line(`… still building (${Math.round((Date.now() - buildStarted) / 1000)}s so far)`);
  }, 5_000);
  /** Ends the record and says so; a failure or a timeout is a build.failed event, a cancel build.cancelled. */
  const end = async (state: 'failed' | 'cancelled' | 'timed-out', reason: string): Promise<number> => {
    const run = await build.finish(state, reason);
    await recordBuildEvent(engine, run).catch((err: Error) =>
      engine.logger.error({ error: err.message }, 'could not record the build event'),
    );
    return 1;
  };
  try {
    // 1. Build, one push at a time (or HIY_BUILDS_AT_ONCE), without holding the apply lock.
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
        signal: build.signal,
        onWait: (ahead) =>
          term.line(`queued: waiting for ${ahead > 0 ? `${ahead} build(s) ahead` : 'a build slot'}…`),
      },
    );
    if (queued.kind === 'cancelled') {
      term.fail(`${queued.reason} while queued; not deployed, push rejected`);
      return await end('cancelled', queued.reason);
    }
    if (queued.kind === 'superseded') {
      term.fail(
        `superseded by a newer push to ${ctx.repo} (${short(queued.by.commit)} by ${queued.by.user}) while queued; not deployed, push rejected`,
      );
      return await end('cancelled', `superseded by ${short(queued.by.commit)} pushed by ${queued.by.user}`);
    }
    build.building();
    buildStarted = Date.now();
    let planned: Planned;
    try {
      try {
        planned = await computePlan(pushed);
      } catch (err) {
        if (err instanceof StateRepoInvalidError) {
          reportInvalid(term, err);
          term.fail('nothing was built or deployed; push rejected (fix the state repo first)');
          return await end('failed', 'the state repo is invalid');
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
            ...(engine.build && { build: { ...engine.build, timeoutMs } }),
            buildSignal: build.signal,
            onEvent: (e) => {
              if (e.type === 'build.step' && e.level === 'stage') build.step(e.text);
              term.view.applyEvent?.(e);
            },
          });
          term.line(`built in ${formatStepMs(Date.now() - started)}${note ? ` (${note})` : ''}`);
        } catch (err) {
          const outcome = err instanceof BuildStepError ? err.data.outcome : 'failed';
          const stopped = build.signal.aborted ? String(build.signal.reason) : undefined;
          if (outcome === 'failed' || !stopped) {
            term.fail(`build of ${action.resource} FAILED: ${errorMessage(err)}`);
          } else {
            term.fail(`build of ${action.resource} stopped: ${stopped}`);
          }
          term.fail('the running version is unchanged; push rejected');
          const state = stopped?.startsWith('timed out') ? 'timed-out' : stopped ? 'cancelled' : 'failed';
          return await end(state, stopped ?? errorMessage(err).split('\n')[0]!.slice(0, 300));
        }
      }
    } finally {
      await queued.slot.release();
    }
  } catch (err) {
    await end('failed', errorMessage(err).split('\n')[0]!.slice(0, 300));
    throw err;
  } finally {
    clearInterval(heartbeat);
  }

  // 2. Deploy: a full reconcile with the pushed commit, under the apply lock; health-gated by apply.
  build.deploying();
  term.stage('Deploying (health-gated)');
  const deployStarted = Date.now();
  let result: ApplyResult;
  let plan: Planned['plan'];
  try {
    const deployed = await runOperation(
      pushed,
      {
        plan: () => computePlan(pushed, { forApply: true }),
        guard: { allowMassDelete: false },
        view: {
          ...term.view,
          planned: ({ plan: p }) => {
            if (p.actions.length === 0) term.line('nothing to change: this commit is already running');
          },
        },
        // Until git moves the branch (after this hook), reconciles keep the pushed commit (reconcile/pushes.ts).
        finish: async () => {
          for (const d of deploying) {
            await recordPendingPush(engine.settings.dataDir, {
              gitDir: ctx.gitDir,
              branch: d.app.spec.source.branch,
              commit: d.update.newCommit,
              pid: ctx.receivePackPid,
            });
          }
        },
      },
      PUSH_LOCK_WAIT,
    );
    result = deployed.result;
    plan = deployed.planned.plan;
  } catch (err) {
    if (err instanceof StateRepoInvalidError) reportInvalid(term, err);
    else term.fail(errorMessage(err));
    term.fail('not deployed; the running version is unchanged; push rejected');
    await build.finish('failed', `deploy failed: ${errorMessage(err).split('\n')[0]!.slice(0, 300)}`);
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
    await build.finish('failed', `deploy failed: ${failed.map((r) => r.address).join(', ')}`);
    return 1;
  }
  term.line(`deploy and health: done in ${formatStepMs(Date.now() - deployStarted)}`);
  await build.finish('succeeded');
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
    const { result } = await runOperation(
      engine,
      {
        plan: () => computePlan(engine, { forApply: true }),
        guard: { allowMassDelete: false },
        view: {
          ...term.view,
          planned: ({ plan }) => {
            if (plan.actions.length === 0) term.line('no changes');
          },
        },
      },
      PUSH_LOCK_WAIT,
    );
    if (!result.ok) {
      term.fail('apply FAILED (see above and hiy status); the state push itself is kept');
      return 1;
    }
    term.stage('State applied');
    return 0;
  } catch (err) {
    if (err instanceof StateRepoInvalidError) reportInvalid(term, err);
    else term.fail(errorMessage(err));
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
  // Nothing is written to a pusher that is gone: receive-pack would die of SIGPIPE passing it on, and with it
  // the pushed objects a detached build (git push -o detach) still needs to move the branch.
  const term = new Terminal((t) => {
    if (!ctx.pusherGone?.()) ctx.out(t);
  });
  const state = ctx.repo === STATE_REPO_NAME;
  return audited(ctx, state ? 'push.validate' : 'push.deploy', updates, async () => {
    try {
      return state ? await validateStatePush(updates, ctx, term) : await receiveAppPush(updates, ctx, term);
    } catch (err) {
      term.fail(`push rejected: ${errorMessage(err)}`);
      return 1;
    }
  });
}

/** The post-receive hook (state repo only): its result is reported but cannot undo the push. */
export async function postReceive(updates: RefUpdate[], ctx: ReceiveContext): Promise<number> {
  if (ctx.repo !== STATE_REPO_NAME) return 0;
  return audited(ctx, 'push.apply', updates, () => applyStatePush(updates, ctx, new Terminal(ctx.out)));
}
