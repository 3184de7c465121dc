// `hiy build list|cancel`: the builds of pushes on this box, and stopping one (see src/engine/builds.ts).
import { cancelBuild, listBuilds } from '../../engine/builds.js';
import type { BuildRun } from '../../store/builds.js';
import type { CommandRun } from '../command.js';
import { UsageError } from '../config.js';
import { EXIT } from '../context.js';
import { table } from '../table.js';

/** `app/blog` from `blog` or `app/blog`. */
function appId(name: string): string {
  return name.startsWith('app/') ? name : `app/${name}`;
}

/** How long a build ran (or runs): `42s`, `3m05s`. */
export function buildDuration(run: BuildRun, now: number): string {
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  const s = Math.max(0, Math.round((end - Date.parse(run.startedAt)) / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The human table of builds. Pure. */
export function renderBuilds(runs: BuildRun[], now: number): string {
  if (runs.length === 0) return 'No builds.\n';
  const rows = [['APP', 'COMMIT', 'PUSHED BY', 'STATE', 'STEP', 'TOOK', 'STARTED', 'NOTE']];
  for (const r of runs) {
    rows.push([
      r.apps.join(','),
      r.commit.slice(0, 12),
      r.user,
      r.state,
      r.step ?? '-',
      buildDuration(r, now),
      r.startedAt,
      [r.detached ? 'detached' : '', r.reason ?? ''].filter(Boolean).join('; '),
    ]);
  }
  return `${table(rows)}\n`;
}

export const run: CommandRun = async (deps, settings, ctx) => {
  const [verb, name] = ctx.args;
  const engine = await deps.makeEngine(settings);
  if (verb === 'list') {
    const runs = await listBuilds(engine, name ? appId(name) : undefined);
    deps.io.out(ctx.json ? `${JSON.stringify({ builds: runs }, null, 2)}\n` : renderBuilds(runs, Date.now()));
    return EXIT.ok;
  }
  if (verb === 'cancel') {
    if (!name) throw new UsageError('hiy build cancel NAME: the build of which App?');
    const by = deps.io.env.USER ? `${deps.io.env.USER} (hiy build cancel)` : 'hiy build cancel';
    const ended = await cancelBuild(engine, appId(name), by);
    if (ctx.json) deps.io.out(`${JSON.stringify({ build: ended }, null, 2)}\n`);
    else
      deps.io.out(
        ended.state === 'cancelled'
          ? `Cancelled the build of ${ended.apps.join(', ')} at ${ended.commit.slice(0, 12)} (pushed by ${ended.user}).\n`
          : `Asked the build of ${ended.apps.join(', ')} at ${ended.commit.slice(0, 12)} to stop; it is ${ended.state}.\n`,
      );
    return ended.state === 'cancelled' ? EXIT.ok : EXIT.error;
  }
  throw new UsageError('hiy build list [NAME] | hiy build cancel NAME');
};
