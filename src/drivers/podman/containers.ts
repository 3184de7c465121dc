// Containers the runner starts: long-running ones, hooks run to completion, one-offs attached to the caller.
import {
  hasLabels,
  oneOffRunArgv,
  psArgv,
  pullArgv,
  rmArgv,
  runArgv,
  runOnceArgv,
  tailOutput,
} from './argv.js';
import type { CallResult, PodmanCalls } from './calls.js';
import { imageCommand, imageExists } from './images.js';
import { parsePs } from './output.js';
import {
  type AttachOptions,
  type ContainerInfo,
  type HookResult,
  type ImageCommand,
  PodmanError,
  type RunSpec,
} from './types.js';

/** What the runner needs to run containers: the shim binary and how long a pull may take. */
export interface ContainerRunOptions {
  shimBinary: string;
  pullTimeoutMs: number;
}

export async function listContainers(
  podman: PodmanCalls,
  labels: Record<string, string>,
): Promise<ContainerInfo[]> {
  const argv = psArgv(labels);
  const { stdout } = await podman.listing(argv);
  return podman.parse(argv, () => parsePs(stdout)).filter((c) => hasLabels(c.labels, labels));
}

/** The image's own command, when the secret shim must exec it (secretEnv and no entrypoint of the spec's). */
async function shimmedCommand(podman: PodmanCalls, spec: RunSpec): Promise<ImageCommand | undefined> {
  return spec.secretEnv?.length && !spec.entrypoint ? imageCommand(podman, spec.image) : undefined;
}

/** Creates and starts a container; resolves to its id. */
export async function runContainer(
  podman: PodmanCalls,
  spec: RunSpec,
  opts: ContainerRunOptions,
): Promise<string> {
  if (spec.secretEnv?.length && !spec.entrypoint) {
    // The shim must exec the image's own command, so the image's entrypoint and cmd are needed first.
    if (!spec.image.startsWith('localhost/') && !(await imageExists(podman, spec.image)))
      await podman.call(pullArgv(spec.image), { timeoutMs: opts.pullTimeoutMs });
  }
  const command = await shimmedCommand(podman, spec);
  const { stdout } = await podman.call(runArgv(spec, { shimBinary: opts.shimBinary, imageCommand: command }));
  return stdout.trim().split('\n').pop()?.trim() ?? '';
}

/** Runs a one-off container to completion; after `timeoutMs` it is removed and the exit code is 124. */
export async function runHook(
  podman: PodmanCalls,
  spec: RunSpec,
  timeoutMs: number,
  shimBinary: string,
): Promise<HookResult> {
  const command = await shimmedCommand(podman, spec);
  const argv = runOnceArgv({ ...spec, restart: 'no' }, { shimBinary, imageCommand: command });
  let r: CallResult;
  try {
    r = await podman.call(argv, { timeoutMs, okExitCodes: 'any' });
  } catch (err) {
    if (!(err instanceof PodmanError) || !/timed out/.test(err.message)) throw err;
    await podman.call(rmArgv(spec.name, 0)).catch(() => undefined);
    return {
      exitCode: 124,
      output: tailOutput(`${err.data.stderr ?? ''}\n(timed out after ${timeoutMs} ms)`),
    };
  }
  if (r.exitCode === 125 && /^Error:/m.test(r.stderr)) throw podman.failure(argv, r);
  return { exitCode: r.exitCode, output: tailOutput(`${r.stdout}${r.stderr}`) };
}

/** Runs a one-off container attached to the caller; it is removed after, however it ended. */
export async function runOneOff(
  podman: PodmanCalls,
  spec: RunSpec,
  opts: AttachOptions,
  shimBinary: string,
): Promise<number> {
  // Without a command of its own the one-off runs the image's; the shim needs to know it (see runContainer).
  const command = await shimmedCommand(podman, spec);
  const argv = oneOffRunArgv(spec, { shimBinary, imageCommand: command, ...opts });
  try {
    const r = await podman.attached(argv, opts);
    if (r.exitCode === 125 && /^Error:/m.test(r.stderr)) throw podman.failure(argv, r);
    return r.timedOut ? 124 : r.exitCode;
  } finally {
    // Killing `podman run` does not stop its container: a timeout, an abort or a crash of podman removes it here.
    await podman.call(rmArgv(spec.name, 0), { okExitCodes: 'any' }).catch(() => undefined);
  }
}
