// `hiy releases NAME`: the applied versions of a resource, newest first.

import type { Settings } from '../../model/settings.js';
import { openStores } from '../../store/index.js';
import type { Release, ReleaseStore } from '../../store/releases.js';
import type { CommandRun } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { table } from '../table.js';

/** `greeter` → whichever of port/greeter and app/greeter has releases; `port/greeter` as it is. */
async function resolve(store: ReleaseStore, name: string): Promise<{ id: string; releases: Release[] }> {
  if (name.includes('/')) return { id: name, releases: await store.list(name) };
  for (const id of [`port/${name}`, `app/${name}`]) {
    const releases = await store.list(id);
    if (releases.length > 0) return { id, releases };
  }
  return { id: name, releases: [] };
}

export async function releasesCommand(
  deps: CliDeps,
  settings: Settings,
  opts: { json: boolean; name?: string },
): Promise<number> {
  if (!opts.name) throw new UsageError('hiy releases NAME: which resource? (e.g. greeter or port/greeter)');
  const { id, releases } = await resolve(openStores(settings.dataDir).releases, opts.name);
  const newestFirst = [...releases].reverse();
  if (opts.json) {
    deps.io.out(`${JSON.stringify({ resource: id, releases: newestFirst }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (newestFirst.length === 0) {
    deps.io.out(`No releases of ${opts.name} yet.\n`);
    return EXIT.ok;
  }
  const rows = [['RELEASE', 'APPLIED', 'STATE COMMIT', 'IMAGE', 'SPEC HASH', 'SNAPSHOTS', 'CAUSE']];
  for (const r of newestFirst) {
    rows.push([
      String(r.number),
      r.appliedAt,
      r.stateCommit.slice(0, 12),
      r.image,
      r.specHash,
      r.snapshots.join(',') || '-',
      r.cause === 'rollback' && r.rolledBackTo ? `rollback to ${r.rolledBackTo}` : r.cause,
    ]);
  }
  deps.io.out(`Releases of ${id}:\n${table(rows)}\n`);
  return EXIT.ok;
}

export const run: CommandRun = (deps, settings, ctx) =>
  releasesCommand(deps, settings, { json: ctx.json, name: ctx.args[0] });
