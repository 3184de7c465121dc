// The one place a podman process runs: timeouts, counting, exit codes, failures and parse errors all share it.
import { execa } from 'execa';
import type { ExternalCalls } from '../externalCalls.js';
import { redactArgv } from './argv.js';
import { podmanErrorLine } from './errorLine.js';
import { isListingRace, LISTING_TRIES, listingRetryDelayMs } from './listingRace.js';
import { type AttachOptions, PodmanError } from './types.js';

/** How one podman call runs. */
export interface CallOptions {
  timeoutMs: number;
  /** Exit codes that are answers rather than failures (e.g. 1 for `image exists`); `any` for exec. */
  okExitCodes?: number[] | 'any';
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Extra environment of the podman process (a secret value: never in argv). */
  env?: Record<string, string>;
}

/** What one podman call answered. */
export interface CallResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** What an attached call answered: its stderr (piped only), and whether it timed out or was aborted. */
export type AttachedResult = CallResult & { timedOut: boolean; aborted: boolean };

/** The words naming the operation in messages: `run`, `volume create`, `image exists`. */
export function operation(argv: string[]): string {
  return argv[0] === 'volume' || argv[0] === 'image' || argv[0] === 'secret'
    ? `${argv[0]} ${argv[1]}`
    : (argv[0] ?? '');
}

/** An execa line transform that hands each line to `onLine` and keeps it in the result only if asked. */
export function lineTap(onLine: (line: string) => void, keep: boolean) {
  return function* (line: unknown) {
    onLine(String(line));
    if (keep) yield line;
  };
}

/** The error of a podman binary that is not there. */
export function notInstalled(binary: string, argv: string[]): PodmanError {
  return new PodmanError(`podman is not installed or not on PATH (tried "${binary}")`, {
    argv: redactArgv(argv),
  });
}

/** Runs podman processes for the driver. `count` is the number started (benchmarks count external calls). */
export class PodmanCalls {
  count = 0;
  private rootless: Promise<boolean> | undefined;

  constructor(
    readonly binary: string,
    readonly timeoutMs: number,
    private readonly externalCalls: ExternalCalls | undefined,
    rootless: boolean | undefined,
  ) {
    if (rootless !== undefined) this.rootless = Promise.resolve(rootless);
  }

  /** The one counting point of podman processes: every call, attached call and event stream counts. */
  counted(): void {
    this.count++;
    this.externalCalls?.count('podman');
  }

  /**
   * Asks Podman once whether it runs rootless: `podman unshare` succeeds only then (root's Podman refuses it:
   * "please use unshare with rootless"). Inside `podman unshare` (uid 0 of the user namespace) it still
   * succeeds, at the cost of one more process per walk. A failure is not cached.
   */
  isRootless(): Promise<boolean> {
    this.rootless ??= this.call(['unshare', 'true'], { okExitCodes: [125] })
      .then((r) => {
        if (r.exitCode === 0) return true;
        if (/unshare with rootless/.test(r.stderr)) return false;
        throw this.failure(['unshare', 'true'], r);
      })
      .catch((err: unknown) => {
        this.rootless = undefined;
        throw err;
      });
    return this.rootless;
  }

  /**
   * A listing call, tried again (bounded) when it raced with another process removing its own object: Podman 4.3
   * fails the whole list then (see listingRace.ts), and a failed observation would stop the reconcile.
   */
  async listing(argv: string[]): Promise<CallResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call(argv);
      } catch (err) {
        const stderr = err instanceof PodmanError ? (err.data.stderr ?? '') : '';
        if (attempt >= LISTING_TRIES || !isListingRace(stderr)) throw err;
        await new Promise((r) => setTimeout(r, listingRetryDelayMs(attempt)));
      }
    }
  }

  /** `fn`'s reading of podman's output; an exception becomes a PodmanError naming the operation. */
  parse<T>(argv: string[], fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new PodmanError(`podman ${operation(argv)}: unexpected output`, { argv }, { cause });
    }
  }

  /** A failed call as a PodmanError: the operation, the exit code and podman's error line (argv redacted). */
  failure(argv: string[], r: CallResult): PodmanError {
    const stderr = r.stderr.trim();
    return new PodmanError(
      `podman ${operation(argv)} failed (exit ${r.exitCode}): ${podmanErrorLine(stderr) || 'no error output'}`,
      { argv: redactArgv(argv), exitCode: r.exitCode, stderr },
    );
  }

  /** Runs podman to its end; an exit code not in `okExitCodes` (or 0) throws. */
  async call(argv: string[], partial: Partial<CallOptions> = {}): Promise<CallResult> {
    const opts: CallOptions = { timeoutMs: this.timeoutMs, ...partial };
    this.counted();
    // Streamed stdout (build logs) is passed on, not kept; stderr is also kept, as it makes the error message.
    const stdout = opts.onStdoutLine ? [lineTap(opts.onStdoutLine, false)] : 'pipe';
    const stderr = opts.onStderrLine ? [lineTap(opts.onStderrLine, true)] : 'pipe';
    // Neither execa's result nor its messages are attached to errors: they quote the argv, env values included.
    const result = await execa(this.binary, argv, {
      reject: false,
      timeout: opts.timeoutMs,
      forceKillAfterDelay: 2_000,
      stdin: 'ignore',
      ...(opts.env ? { env: opts.env } : {}),
      stdout,
      stderr,
    });
    const redacted = redactArgv(argv);
    if (result.code === 'ENOENT') throw notInstalled(this.binary, argv);
    if (result.timedOut) {
      throw new PodmanError(`podman ${operation(argv)} timed out after ${opts.timeoutMs} ms`, {
        argv: redacted,
        stderr: String(result.stderr ?? '').trim(),
      });
    }
    const out: CallResult = {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
    };
    if (result.exitCode === undefined) {
      const why = result.signal ? `killed by ${result.signal}` : (result.code ?? 'did not run');
      throw new PodmanError(`podman ${operation(argv)} failed: ${why}`, {
        argv: redacted,
        stderr: out.stderr.trim(),
      });
    }
    const ok =
      opts.okExitCodes === 'any' || out.exitCode === 0 || (opts.okExitCodes ?? []).includes(out.exitCode);
    if (!ok) {
      throw this.failure(argv, out);
    }
    return out;
  }

  /**
   * Runs podman attached to `opts.output`. Piped stderr is also kept (its `Error:` line makes messages); with
   * `inherit` podman talks to this process's terminal directly and stderr is not seen.
   */
  async attached(
    argv: string[],
    opts: Pick<AttachOptions, 'output' | 'interactive' | 'timeoutMs' | 'signal'>,
  ): Promise<AttachedResult> {
    this.counted();
    const inherit = opts.output === 'inherit';
    const child = execa(this.binary, argv, {
      reject: false,
      buffer: false,
      stdin: inherit && opts.interactive ? 'inherit' : 'ignore',
      stdout: inherit ? 'inherit' : 'pipe',
      stderr: inherit ? 'inherit' : 'pipe',
      forceKillAfterDelay: 2_000,
      ...(opts.timeoutMs !== undefined && { timeout: opts.timeoutMs }),
      ...(opts.signal && { cancelSignal: opts.signal }),
    });
    let stderr = '';
    if (opts.output !== 'inherit') {
      const sink = opts.output;
      child.stdout?.setEncoding('utf8').on('data', (c: string) => sink.stdout(c));
      child.stderr?.setEncoding('utf8').on('data', (c: string) => {
        if (stderr.length < 64 * 1024) stderr += c;
        sink.stderr(c);
      });
    }
    const result = await child;
    if (result.code === 'ENOENT') throw notInstalled(this.binary, argv);
    const aborted = Boolean(result.isCanceled);
    return {
      exitCode: result.exitCode ?? (aborted ? 130 : -1),
      stdout: '',
      stderr,
      timedOut: Boolean(result.timedOut),
      aborted,
    };
  }
}
