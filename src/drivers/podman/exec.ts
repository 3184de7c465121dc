// Commands in running containers (to completion or attached) and their logs.
import { execArgv, execAttachedArgv, logsArgv, tailOutput } from './argv.js';
import type { PodmanCalls } from './calls.js';
import type { AttachOptions, HookResult, LogsOptions, OutputSink } from './types.js';

/**
 * Podman's own failures (no such container, not running) exit 125 with an `Error:` line; those throw.
 * Any other exit code, including 126/127 (command not runnable / not found), is the command's answer.
 */
export async function exec(
  podman: PodmanCalls,
  name: string,
  command: string[],
  timeoutMs: number,
): Promise<HookResult> {
  const argv = execArgv(name, command);
  const result = await podman.call(argv, { timeoutMs, okExitCodes: 'any' });
  if (result.exitCode === 125 && /^Error:/m.test(result.stderr)) throw podman.failure(argv, result);
  return { exitCode: result.exitCode, output: tailOutput(`${result.stdout}${result.stderr}`) };
}

export async function execAttached(
  podman: PodmanCalls,
  name: string,
  command: string[],
  opts: AttachOptions & { secretShim?: boolean; user?: string },
): Promise<number> {
  const argv = execAttachedArgv(name, command, opts);
  const r = await podman.attached(argv, opts);
  if (r.exitCode === 125 && /^Error:/m.test(r.stderr)) throw podman.failure(argv, r);
  return r.timedOut ? 124 : r.exitCode;
}

export async function logs(
  podman: PodmanCalls,
  name: string,
  opts: LogsOptions,
  output: OutputSink,
): Promise<void> {
  const argv = logsArgv(name, opts);
  const r = await podman.attached(argv, { output, signal: opts.signal });
  if (r.exitCode !== 0 && !r.aborted) throw podman.failure(argv, r);
}
