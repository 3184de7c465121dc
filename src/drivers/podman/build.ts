// `podman build` streamed line by line, stopped on a timeout or an abort by killing the step it runs.
import { execa } from 'execa';
import { buildArgv, redactArgv } from './argv.js';
import { type CallResult, lineTap, notInstalled, type PodmanCalls } from './calls.js';
import { killDescendants } from './processTree.js';
import { type BuildSpec, PodmanError } from './types.js';

/** `30m`, `90s`, `1h5m`: a time limit as people write it. */
function formatMs(ms: number): string {
  if (ms % 60_000 !== 0) return `${Math.round(ms / 1000)}s`;
  const m = ms / 60_000;
  return m >= 60 && m % 60 === 0 ? `${m / 60}h` : `${m}m`;
}

/** A build stopped on purpose (cancelled, timed out): `data.stopped` holds why. */
function stoppedBuild(argv: string[], why: string): PodmanError {
  return new PodmanError(`podman build stopped: ${why}`, { argv: redactArgv(argv), stopped: why });
}

/**
 * Runs `podman build`, streaming its lines. A timeout or an aborted `spec.signal` stops it: the step it runs is
 * killed (podman then fails the build and removes its working container); a podman that still runs 10 s
 * later is sent SIGTERM, then SIGKILL. The error names why it stopped.
 */
export async function buildImage(
  podman: PodmanCalls,
  spec: BuildSpec,
  defaultTimeoutMs: number,
  onLine?: (line: string) => void,
): Promise<void> {
  const argv = buildArgv(spec);
  const timeoutMs = spec.timeoutMs ?? defaultTimeoutMs;
  if (spec.signal?.aborted) throw stoppedBuild(argv, String(spec.signal.reason ?? 'cancelled'));
  // Counted in `count` only, not in the external calls (as before the runner was split).
  podman.count++;
  const child = execa(podman.binary, argv, {
    reject: false,
    stdin: 'ignore',
    stdout: [lineTap((line) => onLine?.(line), false)],
    stderr: [lineTap((line) => onLine?.(line), true)],
  });
  let stopped: string | undefined;
  const timers: NodeJS.Timeout[] = [];
  const stop = (why: string) => {
    if (stopped !== undefined || child.pid === undefined) return;
    stopped = why;
    const pid = child.pid;
    killDescendants(pid);
    // A step started between the list and the kill, or podman busy outside a step (pulling, committing).
    timers.push(setInterval(() => killDescendants(pid), 1000));
    timers.push(setTimeout(() => child.kill('SIGTERM'), 10_000));
    timers.push(setTimeout(() => child.kill('SIGKILL'), 15_000));
  };
  const onAbort = () => stop(String(spec.signal?.reason ?? 'cancelled'));
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  timers.push(setTimeout(() => stop(`timed out after ${formatMs(timeoutMs)}`), timeoutMs));
  try {
    const result = await child;
    if (stopped !== undefined) throw stoppedBuild(argv, stopped);
    if (result.code === 'ENOENT') throw notInstalled(podman.binary, argv);
    const out: CallResult = {
      exitCode: result.exitCode ?? -1,
      stdout: '',
      stderr: String(result.stderr ?? ''),
    };
    if (out.exitCode !== 0) throw podman.failure(argv, out);
  } finally {
    for (const t of timers) clearTimeout(t);
    spec.signal?.removeEventListener('abort', onAbort);
  }
}
