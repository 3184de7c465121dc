// `hiy fetch NAME`: brings the mirror of an App's URL source up to date now (webhooks do it on every push).
import { isGitUrl } from '../../desired/load.js';
import type { Settings } from '../../model/settings.js';
import { fetchMirror, stateApps } from '../../push/mirrors.js';
import type { CommandContext, CommandRun } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';

async function fetchCommand(deps: CliDeps, settings: Settings, ctx: CommandContext): Promise<number> {
  const name = ctx.args[0];
  if (!name) throw new UsageError('hiy fetch NAME: which App?');
  const app = (await stateApps(await deps.makeEngine(settings))).find((a) => a.metadata.name === name);
  const git = app?.spec.source.git;
  if (!app || !git || !isGitUrl(git))
    throw new UsageError(`no App ${name} with a git URL source in the state repo`);
  const dir = await fetchMirror(settings.dataDir, name, git);
  if (ctx.json) deps.io.out(`${JSON.stringify({ app: name, url: git, mirror: dir })}\n`);
  else deps.io.out(`Fetched ${git} into ${dir}.\n`);
  return EXIT.ok;
}

export const run: CommandRun = fetchCommand;
