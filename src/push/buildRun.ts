// The build of one push as others see and steer it: its record (store/builds.ts), a cancel request and a
// disconnected pusher (both checked twice a second), and its time limit. Each stops the build through one
// AbortSignal whose reason says why.
import { formatLimit } from '../apply/buildSteps.js';

import type { Engine } from '../engine/engine.js';
import type { BuildRun, BuildState } from '../store/builds.js';

export interface PushBuildOptions {
  engine: Pick<Engine, 'stores' | 'logger'>;
  apps: string[];
  repo: string;
  branch: string;
  commit: string;
  user: string;
  /** `git push -o detach`: a disconnected pusher does not stop the build. */
  detached: boolean;
  timeoutMs: number;
  logs: string[];
  /** True once the pusher's connection is gone. */
  pusherGone(): boolean;
  pollMs?: number;
}

export class PushBuild {
  private readonly controller = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private finished = false;

  private constructor(
    private run: BuildRun,
    private readonly opts: PushBuildOptions,
  ) {}

  /** Records the build (queued) and starts watching for a cancel request and the pusher. */
  static async start(opts: PushBuildOptions): Promise<PushBuild> {
    const run = await opts.engine.stores.builds.begin({
      apps: opts.apps,
      repo: opts.repo,
      branch: opts.branch,
      commit: opts.commit,
      user: opts.user,
      detached: opts.detached,
      timeoutMs: opts.timeoutMs,
      logs: opts.logs,
    });
    const build = new PushBuild(run, opts);
    build.timers.push(setInterval(() => void build.check(), opts.pollMs ?? 500));
    return build;
  }

  get id(): string {
    return this.run.id;
  }

  /** Aborted when the build must stop; its reason says why (`cancelled by …`, `timed out after …`). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get state(): BuildState {
    return this.run.state;
  }

  /** The build got its slot: the clock of its time limit starts. */
  building(): void {
    this.update({ state: 'building' });
    this.timers.push(
      setTimeout(
        () => this.controller.abort(`timed out after ${formatLimit(this.opts.timeoutMs)}`),
        this.opts.timeoutMs,
      ),
    );
  }

  /** The step under way (shown by hiy build list and the Building condition). */
  step(step: string): void {
    if (step !== this.run.step) this.update({ step });
  }

  /** Built: deploying, no longer cancellable (the deploy is health-gated and keeps the old version on failure). */
  deploying(): void {
    this.update({ state: 'deploying', step: 'deploy and health' });
  }

  /** Ends the build's record; resolves to it as written. */
  async finish(
    state: Exclude<BuildState, 'queued' | 'building' | 'deploying'>,
    reason?: string,
  ): Promise<BuildRun> {
    if (!this.finished) {
      this.finished = true;
      for (const t of this.timers) clearTimeout(t);
      this.update({ state, finishedAt: new Date().toISOString(), ...(reason !== undefined && { reason }) });
    }
    await this.writes;
    return this.run;
  }

  /** Writes the record in order; a write that fails is logged, never fails the build. */
  private update(patch: Partial<BuildRun>): void {
    const next = { ...this.run, ...patch };
    const before = this.run;
    this.run = next;
    this.writes = this.writes
      .then(() => this.opts.engine.stores.builds.update(before, patch))
      .catch((err: Error) =>
        this.opts.engine.logger.warn({ err: err.message }, 'cannot write the build record'),
      );
  }

  private async check(): Promise<void> {
    if (this.finished || this.controller.signal.aborted || this.run.state === 'deploying') return;
    const request = await this.opts.engine.stores.builds.cancelRequest(this.run.id);
    if (request) {
      this.controller.abort(`cancelled by ${request.by}`);
      return;
    }
    if (this.run.disconnectedAt !== undefined || !this.opts.pusherGone()) return;
    if (!this.opts.detached)
      this.controller.abort('cancelled: the pusher disconnected (push with -o detach to keep building)');
    else this.update({ disconnectedAt: new Date().toISOString() });
  }
}
