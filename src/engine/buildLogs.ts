// The build log of an App's image at one source commit (the build writes it; see apply/build.ts), for the
// dashboard and hiy logs --build, followed live while the build runs.
import { open, readFile } from 'node:fs/promises';
import { buildLogPath } from '../apply/build.js';
import { type BuildRun, isActive } from '../store/builds.js';
import type { Engine } from './engine.js';

/** The log of the build of `commit` of App `name`, or undefined when there is none (pulled image, pruned). */
export async function readBuildLog(
  engine: Engine,
  name: string,
  commit: string,
): Promise<string | undefined> {
  if (!/^[0-9a-f]{7,64}$/.test(commit)) return undefined;
  return readFile(buildLogPath(engine.settings.dataDir, name, commit), 'utf8').catch(() => undefined);
}

/** What following a build's log needs: where to write, when to stop, and how to read the build's state. */
export interface FollowBuildLogOptions {
  follow: boolean;
  signal?: AbortSignal;
  out(text: string): void;
  /** The build's record as it is now. */
  state(): Promise<BuildRun>;
  pollMs?: number;
}

/**
 * Prints a build's log as far as it is written; with `follow`, goes on printing what is added until the build
 * ends (or the signal aborts). A build still running without `follow` ends with a line saying so.
 */
export async function followBuildLog(
  path: string,
  run: BuildRun,
  opts: FollowBuildLogOptions,
): Promise<void> {
  let offset = 0;
  const more = async () => {
    const fh = await open(path, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      for (;;) {
        const buf = Buffer.alloc(64 * 1024);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        opts.out(buf.subarray(0, bytesRead).toString('utf8'));
      }
    } finally {
      await fh.close();
    }
  };
  await more();
  let current = run;
  if (!opts.follow) {
    if (isActive(current))
      opts.out(
        `# the build is ${current.state}${current.step ? ` (${current.step})` : ''}; --follow prints it live\n`,
      );
    return;
  }
  while (isActive(current) && !opts.signal?.aborted) {
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    current = await opts.state();
    await more();
  }
  await more();
  if (!isActive(current) && current.state !== 'succeeded')
    opts.out(`# build ${current.state}${current.reason ? `: ${current.reason}` : ''}\n`);
}
