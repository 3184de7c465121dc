// How the fake Podman answers commands run in containers: exit codes, printed output, the environment seen.
import type { HookResult, LogsOptions, OutputSink } from './types.js';

/**
 * Answers an exec in the fake: an exit code, or the exit code and output. By default `true`→0, `false`→1,
 * `sh -c "[echo WORDS;] exit N"`→N (printing WORDS: like the real driver's, without the final newline),
 * anything else 0.
 */
export type FakeExecHandler = (container: string, command: string[]) => number | HookResult;

export const defaultExec: FakeExecHandler = (_container, command) => {
  const [bin, flag, script] = command;
  const base = bin?.split('/').pop();
  if (base === 'true') return 0;
  if (base === 'false') return 1;
  const m =
    (base === 'sh' || base === 'bash') && flag === '-c'
      ? /^\s*(?:echo ([^;]*);\s*)?exit\s+(\d+)\s*$/.exec(script ?? '')
      : null;
  return m ? { exitCode: Number(m[2]), output: m[1]?.trim() ?? '' } : 0;
};

/** An exec handler's answer as a HookResult. */
export function execResult(answer: number | HookResult): HookResult {
  return typeof answer === 'number' ? { exitCode: answer, output: '' } : answer;
}

/** Writes to an attached caller's output (or this process's own streams, when inherited). */
export function writeOutput(output: OutputSink, stream: 'stdout' | 'stderr', text: string): void {
  if (output === 'inherit') process[stream].write(text);
  else output[stream](text);
}

/** An attached command's answer: `env` prints the environment it sees; the exit code is the handler's. */
export function attachedAnswer(
  handler: FakeExecHandler,
  call: { name: string; command: string[]; env: Record<string, string> },
  output: OutputSink,
): number {
  const { name, command, env } = call;
  if (command.length === 1 && command[0] === 'env') {
    for (const [k, v] of Object.entries(env)) writeOutput(output, 'stdout', `${k}=${v}\n`);
    return 0;
  }
  if (command[0] === 'echo') writeOutput(output, 'stdout', `${command.slice(1).join(' ')}\n`);
  const answer = execResult(handler(name, command));
  if (answer.output) writeOutput(output, 'stdout', answer.output);
  return answer.exitCode;
}

/** Each container's output, by container id (a rename keeps it, as Podman's log file does). */
export class FakeLogs {
  private readonly byId = new Map<string, string[]>();

  append(id: string, lines: string[]): void {
    this.byId.set(id, [...(this.byId.get(id) ?? []), ...lines]);
  }

  /**
   * Writes the container's output (its last `tail` lines first); with `follow`, like `podman logs -f`, new
   * output streams while `running()` holds and the caller has not aborted.
   */
  async stream(id: string, opts: LogsOptions, output: OutputSink, running: () => boolean): Promise<void> {
    let sent = 0;
    const flush = () => {
      const lines = this.byId.get(id) ?? [];
      const from = sent === 0 && opts.tail !== undefined ? Math.max(0, lines.length - opts.tail) : sent;
      for (const line of lines.slice(from)) writeOutput(output, 'stdout', `${line}\n`);
      sent = lines.length;
    };
    flush();
    while (opts.follow && !opts.signal?.aborted && running()) {
      await new Promise((r) => setTimeout(r, 10));
      flush();
    }
  }
}
