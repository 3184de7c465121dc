// The build log of an App's image at one source commit, for the dashboard (the build writes it; see apply/build.ts).
import { readFile } from 'node:fs/promises';
import { buildLogPath } from '../apply/build.js';
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
