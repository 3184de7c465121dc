// The image.build action: export the commit, find its Containerfile (or generate one for a detected stack),
// podman build with CPU/memory caps, stream every line, and keep the build log per release.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage, HiyError } from '../model/errors.js';
import type { ImageBuild } from '../plan/types.js';
import { FileWriteError, writeFileAtomic } from '../store/atomic.js';
import { builtImageIds, stageLabels, withStageLabels } from './buildStages.js';
import { BuildSteps, formatLimit, formatStepMs, type StepEvent } from './buildSteps.js';
import type { ApplyDeps } from './types.js';

export type { BuildSupport } from './types.js';

/** Where the log of the build of `commit` of App `name` is kept: `<dataDir>/builds/NAME/COMMIT12.log`. */
export function buildLogPath(dataDir: string, name: string, commit: string): string {
  return join(dataDir, 'builds', name, `${commit.slice(0, 12)}.log`);
}

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export class BuildError extends HiyError<{ address: string }> {
  constructor(message: string, data: { address: string }, options?: { cause?: unknown }) {
    super('BUILD_FAILED', message, { data, ...options });
    this.name = 'BuildError';
  }
}

/**
 * The Containerfile with HIY's labels as one LABEL instruction at its end, which applies to the final stage:
 * one build step where `podman build --label` adds one per label (about 30 ms each). Undefined when the file
 * ends inside a line continuation (an appended line would join the last instruction), sets another escape
 * character, or when a label has `$` or `\\` (which LABEL would expand). Pure.
 */
export function withLabelInstruction(text: string, labels: Record<string, string>): string | undefined {
  const entries = Object.entries(labels);
  if (entries.length === 0) return text;
  // Another escape character, or values that LABEL would expand: leave it to --label.
  if (/^#\s*escape\s*=/im.test(text) || entries.some(([k, v]) => /[$\\\n]/.test(k + v))) return undefined;
  const last = text.trimEnd().split('\n').pop() ?? '';
  if (/\\\s*$/.test(last)) return undefined;
  const pairs = entries.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ');
  return `${text.endsWith('\n') ? text : `${text}\n`}LABEL ${pairs}\n`;
}

function closeLog(log: WriteStream | undefined): Promise<void> {
  return new Promise((resolve) => (log ? log.end(resolve) : resolve()));
}

/** What a build of a labelled multi-stage Containerfile leaves to prune: its stages' labels, the ids it used. */
export interface BuiltStages {
  labels: Record<string, string>;
  used: string[];
}

/**
 * What successful builds left to prune after their deploy (see buildStages.ts), by image tag: a push builds
 * before it plans the deploy, whose image.build action then finds the image built. One entry per App (a new
 * build replaces the App's older one); the deploy takes it.
 */
const builtStages = new Map<string, BuiltStages & { resource: string }>();

function rememberStages(action: ImageBuild, stages: BuiltStages): void {
  for (const [tag, s] of builtStages) if (s.resource === action.resource) builtStages.delete(tag);
  builtStages.set(action.image.tag, { ...stages, resource: action.resource });
}

/** Takes what the build of the action's image left to prune, when it built a labelled multi-stage file. */
export function takeBuiltStages(action: ImageBuild): BuiltStages | undefined {
  const stages = builtStages.get(action.image.tag);
  builtStages.delete(action.image.tag);
  return stages;
}

/** How a build ended that was not a success, for the build record and the events. */
export type BuildOutcome = 'failed' | 'cancelled' | 'timed-out';

/** A build that failed, was cancelled or timed out: where it was, and the last lines of that step. */
export class BuildStepError extends HiyError<{
  address: string;
  outcome: BuildOutcome;
  step: string;
  instruction?: string;
  lastLines: string[];
}> {
  constructor(message: string, data: BuildStepError['data'], options?: { cause?: unknown }) {
    super(
      data.outcome === 'failed'
        ? 'BUILD_FAILED'
        : data.outcome === 'cancelled'
          ? 'BUILD_CANCELLED'
          : 'BUILD_TIMED_OUT',
      message,
      { data, ...options },
    );
    this.name = 'BuildStepError';
  }
}

/** The outcome a build error stands for (a stopped podman names why: cancelled or timed out). */
function outcomeOf(err: unknown): BuildOutcome {
  const stopped = (err as { data?: { stopped?: unknown } })?.data?.stopped;
  if (typeof stopped !== 'string') return 'failed';
  return stopped.startsWith('timed out') ? 'timed-out' : 'cancelled';
}

/** Where a build's lines go: its log file (when there is a data directory) and the listener of the apply. */
interface BuildOutput {
  /** A line of the build's own output, or (`progress`) a note of HIY's about it. */
  say(line: string, progress?: boolean): void;
  /** A step's start (`stage`), a line about it, or a failure, prefixed as in a buildpack's output. */
  tell(level: 'stage' | 'line' | 'fail', text: string): void;
  /** A line of the log file only. */
  log(text: string): void;
  close(): Promise<void>;
}

const PREFIX = { stage: '-----> ', line: '       ', fail: ' !     ' } as const;

/** Opens the build log of the action's commit (in `builds/<app>/`) and returns where its lines go. */
async function openBuildOutput(action: ImageBuild, deps: ApplyDeps, name: string): Promise<BuildOutput> {
  let log: WriteStream | undefined;
  if (deps.dataDir) {
    const path = buildLogPath(deps.dataDir, name, action.source.commit);
    await mkdir(join(deps.dataDir, 'builds', name), { recursive: true });
    log = createWriteStream(path);
    // A log that cannot be written (a full disk) is not a failed build: say so once, naming the file, and
    // build on without it (an unhandled stream error would end the whole process).
    log.on('error', (err) => {
      log = undefined;
      const message = `${new FileWriteError(path, err).message}; building without the build log`;
      deps.onEvent?.({ type: 'action.progress', action, message });
    });
  }
  return {
    say(line, progress = false) {
      log?.write(`${progress ? '       ' : ''}${line}\n`);
      deps.onEvent?.(
        progress
          ? { type: 'action.progress', action, message: line }
          : { type: 'action.output', action, line },
      );
    },
    tell(level, text) {
      for (const l of text.split('\n')) log?.write(`${PREFIX[level]}${l}\n`);
      deps.onEvent?.({ type: 'build.step', action, level, text });
    },
    log: (text) => log?.write(text),
    close: () => closeLog(log),
  };
}

/**
 * The Containerfile to build: the one the action names, else the repository's `Containerfile` or `Dockerfile`,
 * else one generated by stack detection (written to `dir`, and shown).
 */
async function containerfileOf(
  action: ImageBuild,
  deps: ApplyDeps,
  where: { dir: string; contextDir: string; name: string },
  out: BuildOutput,
): Promise<string> {
  const { dir, contextDir } = where;
  const at = `${action.image.context} at ${action.source.commit.slice(0, 12)}`;
  let file: string | undefined;
  if (action.image.dockerfile) file = join(contextDir, action.image.dockerfile);
  else {
    for (const candidate of ['Containerfile', 'Dockerfile']) {
      if (await fileExists(join(contextDir, candidate))) {
        file = join(contextDir, candidate);
        break;
      }
    }
  }
  if (action.image.dockerfile && !(await fileExists(file!))) {
    throw new BuildError(`${action.resource}: no ${action.image.dockerfile} in ${at}`, {
      address: action.address,
    });
  }
  if (file) {
    out.tell(
      'line',
      `using ${file.slice(contextDir.length + 1)} (no stack detection: the repository has its own)`,
    );
    return file;
  }
  if (!deps.build) {
    throw new BuildError(`${action.resource}: no Containerfile or Dockerfile in ${at}`, {
      address: action.address,
    });
  }
  let generated: { reason: string; text: string };
  try {
    generated = await deps.build.containerfileFor(contextDir, where.name);
  } catch (err) {
    throw new BuildError(`${action.resource}: ${errorMessage(err)}`, { address: action.address });
  }
  file = join(dir, 'Containerfile.generated');
  await writeFileAtomic(file, generated.text);
  out.tell('line', `no Containerfile: detected ${generated.reason}`);
  for (const line of generated.text.trimEnd().split('\n')) out.say(`  ${line}`);
  return file;
}

/** The build's memory and CPU caps and time limit (the action's, else the box's), each said in the output. */
function buildLimits(action: ImageBuild, deps: ApplyDeps, out: BuildOutput) {
  const capped = !deps.build?.uncapped;
  const memoryBytes = capped ? (action.image.memoryBytes ?? deps.build?.caps.memoryBytes) : undefined;
  const cpus = capped ? (action.image.cpus ?? deps.build?.caps.cpus) : undefined;
  if (memoryBytes !== undefined || cpus !== undefined) {
    const mem = memoryBytes !== undefined ? `${Math.round(memoryBytes / 2 ** 20)} MiB` : 'no memory cap';
    out.say(`build capped at ${cpus ?? 'all'} CPU(s), ${mem}`, true);
  } else if (deps.build?.capsNote) out.say(deps.build.capsNote, true);
  const timeoutMs = action.image.timeoutMs ?? deps.build?.timeoutMs;
  if (timeoutMs !== undefined) out.say(`build time limit: ${formatLimit(timeoutMs)}`, true);
  return { memoryBytes, cpus, timeoutMs };
}

/** A failed build told in its output (where it stopped, its last lines) and as the error to throw. */
function failedBuild(action: ImageBuild, err: unknown, steps: BuildSteps, out: BuildOutput): BuildStepError {
  const where = steps.failure();
  const outcome = outcomeOf(err);
  const at = `${where.step}${where.instruction ? ` (${where.instruction})` : ''}`;
  const what =
    outcome === 'failed'
      ? `build FAILED at ${at} after ${formatStepMs(where.ms)}`
      : `build ${outcome === 'cancelled' ? 'CANCELLED' : 'TIMED OUT'} at ${at}`;
  out.tell('fail', `${what}: ${errorMessage(err)}`);
  if (outcome === 'failed' && where.lastLines.length > 0) {
    out.tell('fail', `last lines of ${where.step}:\n${where.lastLines.map((l) => `  ${l}`).join('\n')}`);
  }
  out.log(`# build ${outcome.toUpperCase()} ${new Date().toISOString()}: ${errorMessage(err)}\n`);
  return new BuildStepError(
    `${what}: ${errorMessage(err)}`,
    {
      address: action.address,
      outcome,
      step: where.step,
      ...(where.instruction && { instruction: where.instruction }),
      lastLines: where.lastLines,
    },
    { cause: err },
  );
}

/**
 * Builds the image of an image.build action unless it exists; returns a note for the action's result. Its steps
 * (detect, build stage, runtime stage) are reported with their durations, to the listener and the build log; a
 * failure throws a {@link BuildStepError} naming the step and holding its last lines.
 */
export async function buildImage(action: ImageBuild, deps: ApplyDeps): Promise<string | undefined> {
  if (await deps.podman.imageExists(action.image.tag)) return 'image already built';
  const dir = await mkdtemp(join(tmpdir(), 'hiy-build-'));
  const name = action.resource.replace(/^app\//, '');
  const out = await openBuildOutput(action, deps, name);
  const steps = new BuildSteps(() => Date.now());
  const report = (events: StepEvent[]) => {
    for (const e of events) {
      if (e.kind === 'step.started') out.tell('stage', e.step);
      else if (e.kind === 'step.finished') out.tell('line', `${e.step}: done in ${formatStepMs(e.ms)}`);
      else out.tell('line', `${e.instruction}: ${formatStepMs(e.ms)}`);
    }
  };
  try {
    out.log(
      `# build of ${action.image.tag} from ${action.source.gitDir} ${action.source.branch} ${action.source.commit}, started ${new Date().toISOString()}\n`,
    );
    report(steps.begin('detect'));
    const src = join(dir, 'src');
    await deps.exportCommit(action.source.gitDir, action.source.commit, src);
    const contextDir = join(src, action.image.context);
    let file = await containerfileOf(action, deps, { dir, contextDir, name }, out);
    const { memoryBytes, cpus, timeoutMs } = buildLimits(action, deps, out);
    // The labels go into a copy of the Containerfile outside the context (the context stays as committed):
    // the image's at the end, and the App's (without the commit) at the end of each build stage.
    let labels = action.image.labels;
    const text = await readFile(file, 'utf8');
    const stages = withStageLabels(text, stageLabels(labels));
    const labelled = withLabelInstruction(stages ?? text, labels);
    if (labelled !== undefined) {
      file = join(dir, 'Containerfile.hiy');
      await writeFileAtomic(file, labelled);
      labels = {};
    }
    const staged = labelled !== undefined && stages !== undefined && stages !== text;
    const idLines: string[] = [];
    await deps.podman.buildImage(
      {
        contextDir,
        file,
        tag: action.image.tag,
        labels,
        memoryBytes,
        cpus,
        ...(timeoutMs !== undefined && { timeoutMs }),
        ...(deps.buildSignal && { signal: deps.buildSignal }),
      },
      (line) => {
        report(steps.line(line));
        out.say(line);
        if (staged && line.includes('--> ')) idLines.push(line);
      },
    );
    if (staged)
      rememberStages(action, { labels: stageLabels(action.image.labels), used: builtImageIds(idLines) });
    // The size of what runs (issue 24: small images); a failed inspect costs only this line.
    const size = (await deps.podman.inspectImage(action.image.tag).catch(() => undefined))?.size;
    if (size !== undefined) out.say(`image size: ${(size / 1e6).toFixed(1)} MB`, true);
    report(steps.end());
    out.log(`# build succeeded ${new Date().toISOString()}\n`);
    return undefined;
  } catch (err) {
    throw failedBuild(action, err, steps, out);
  } finally {
    await out.close();
    await rm(dir, { recursive: true, force: true });
  }
}
