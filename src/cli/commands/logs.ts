// `hiy logs NAME`: the container's output as podman has it, or the kept runs of one of its scheduled jobs.
import { readFile } from 'node:fs/promises';
import { buildLogPath } from '../../apply/build.js';
import type { OutputSink } from '../../drivers/podman/types.js';
import { followBuildLog } from '../../engine/buildLogs.js';
import { listBuilds } from '../../engine/builds.js';
import { resourceLogs } from '../../engine/logs.js';
import { HiyError, hasCode } from '../../model/errors.js';
import type { Settings } from '../../model/settings.js';
import { openStores } from '../../store/index.js';
import type { JobRun } from '../../store/jobRuns.js';
import { type CommandRun, flag, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { onTermination } from '../signals.js';

export interface LogsCommandOptions {
  name?: string;
  json: boolean;
  follow: boolean;
  since?: string;
  tail?: string;
  timestamps: boolean;
  /** The output of the container before the last replacement, as kept when apply removed it. */
  previous?: boolean;
  job?: string;
  /** `--build`: the build log of a release (`release`: its number; default the current one). */
  build?: boolean;
  release?: string;
  /** Ends --follow (default: SIGINT or SIGTERM). */
  signal?: AbortSignal;
}

function runLine(r: JobRun): string {
  const code = r.exitCode !== undefined ? ` exit ${r.exitCode}` : '';
  const why = r.reason ? ` (${r.reason})` : '';
  return `== ${r.startedAt}  ${r.outcome}${code}  ${(r.ms / 1000).toFixed(1)}s  ${r.trigger}${why}\n${r.output}${r.output && !r.output.endsWith('\n') ? '\n' : ''}`;
}

/** The line podman prints when the container is not there (podman 4: `Error: no container with name or ID …`). */
const PODMAN_NO_CONTAINER = /^Error: (no container with (name or )?ID|no such container)/m;

export async function logsCommand(
  deps: CliDeps,
  settings: Settings,
  opts: LogsCommandOptions,
): Promise<number> {
  if (!opts.name) throw new UsageError('hiy logs NAME: which resource? (e.g. blog or app/blog)');
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0))
    throw new UsageError(`--tail takes a number of lines, not "${opts.tail}"`);
  if (opts.since !== undefined && !/^(\d+(\.\d+)?(ms|s|m|h))+$|^\d{4}-\d\d-\d\d/.test(opts.since))
    throw new UsageError(
      `--since takes a duration such as 10m or 1h30m, or a time such as 2024-05-01T10:00:00Z`,
    );
  if (opts.release !== undefined && !opts.build)
    throw new UsageError(`hiy logs: unexpected argument "${opts.release}"`);
  if (opts.previous && (opts.follow || opts.since !== undefined || opts.job || opts.build))
    throw new UsageError('--previous takes only --tail, --timestamps and --json');
  if (opts.build) return buildLog(deps, settings, opts.name, opts.release, opts.follow, opts.signal);
  if (opts.job) {
    const id = opts.name.includes('/') ? [opts.name] : [`app/${opts.name}`, `port/${opts.name}`];
    const store = openStores(settings.dataDir).jobRuns;
    let runs: JobRun[] = [];
    for (const r of id) if (runs.length === 0) runs = await store.list(r, opts.job);
    if (tail !== undefined) runs = runs.slice(-tail);
    if (opts.json) deps.io.out(`${JSON.stringify({ resource: opts.name, job: opts.job, runs }, null, 2)}\n`);
    else if (runs.length === 0) deps.io.out(`No runs of job ${opts.job} of ${opts.name} yet.\n`);
    else for (const r of runs) deps.io.out(runLine(r));
    return EXIT.ok;
  }
  const engine = await deps.makeEngine(settings);
  const stop = opts.follow && !opts.signal ? onTermination() : undefined;
  const abort = new AbortController();
  void stop?.signal.then(() => abort.abort());
  const output: OutputSink = opts.json
    ? {
        stdout: (c) => deps.io.out(`${JSON.stringify({ stream: 'stdout', text: c })}\n`),
        stderr: (c) => deps.io.out(`${JSON.stringify({ stream: 'stderr', text: c })}\n`),
      }
    : { stdout: (c) => deps.io.out(c), stderr: (c) => deps.io.err(c) };
  // Podman's own complaint about a missing container arrives on the stream before its failure: it is dropped, and
  // the error below says what is missing in HIY's words.
  const stderr = output.stderr;
  output.stderr = (c) => {
    if (!PODMAN_NO_CONTAINER.test(c)) stderr(c);
  };
  try {
    await resourceLogs(
      engine,
      opts.name,
      {
        follow: opts.follow,
        ...(opts.since !== undefined && { since: opts.since }),
        ...(tail !== undefined && { tail }),
        timestamps: opts.timestamps,
        previous: opts.previous,
        signal: opts.signal ?? abort.signal,
      },
      output,
    );
  } catch (err) {
    if (hasCode(err, 'RESOURCE_UNKNOWN'))
      throw new HiyError(
        'RESOURCE_UNKNOWN',
        `no resource ${opts.name}: no App or Port named ${opts.name} in the state repo`,
      );
    throw err;
  } finally {
    stop?.dispose();
  }
  return EXIT.ok;
}

/**
 * Prints the log of the App's latest build, running or not (with --follow, until it ends), or of a release's
 * build when a release number is given.
 */
async function buildLog(
  deps: CliDeps,
  settings: Settings,
  name: string,
  release: string | undefined,
  follow: boolean,
  signal: AbortSignal | undefined,
): Promise<number> {
  const bare = name.replace(/^app\//, '');
  const stores = openStores(settings.dataDir);
  const latest = release === undefined ? (await listBuilds({ stores }, `app/${bare}`))[0] : undefined;
  if (latest) {
    const path = buildLogPath(settings.dataDir, bare, latest.commit);
    const stop = follow && !signal ? onTermination() : undefined;
    const abort = new AbortController();
    void stop?.signal.then(() => abort.abort());
    try {
      await followBuildLog(path, latest, {
        follow,
        signal: signal ?? abort.signal,
        out: (t) => deps.io.out(t),
        state: async () => (await stores.builds.get(latest.id)) ?? latest,
      });
    } finally {
      stop?.dispose();
    }
    return EXIT.ok;
  }
  const releases = await stores.releases.list(`app/${bare}`);
  const number = release === undefined ? undefined : Number(release);
  if (release !== undefined && !Number.isInteger(number))
    throw new UsageError(`--build takes a release number, not "${release}"`);
  const r = number === undefined ? releases.at(-1) : releases.find((x) => x.number === number);
  if (!r) {
    throw new UsageError(
      releases.length === 0
        ? `app/${bare} has no releases (build logs are kept for Apps HIY built)`
        : `app/${bare} has no release ${release} (releases: ${releases.map((x) => x.number).join(', ')})`,
    );
  }
  const commit = r.image.split(':').pop() ?? '';
  const text = await readFile(buildLogPath(settings.dataDir, bare, commit), 'utf8').catch(() => undefined);
  if (text === undefined) {
    deps.io.err(`No build log of release ${r.number} of app/${bare} (image ${r.image}) is kept.\n`);
    return EXIT.error;
  }
  deps.io.out(text);
  return EXIT.ok;
}

export const run: CommandRun = (deps, settings, ctx) =>
  logsCommand(deps, settings, {
    name: ctx.args[0],
    json: ctx.json,
    follow: flag(ctx, 'follow'),
    since: str(ctx, 'since'),
    tail: str(ctx, 'tail'),
    timestamps: flag(ctx, 'timestamps'),
    previous: flag(ctx, 'previous'),
    job: str(ctx, 'job'),
    build: flag(ctx, 'build'),
    release: ctx.args[1],
  });
