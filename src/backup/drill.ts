// Restore drills: the latest backup of each volume brought back, verified against its manifest, imported into a
// scratch volume and checked in a throwaway container with no network (the port's check hook, or the default
// check: the file count); pass or fail is an event, and the scratch volume is always removed.

import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine/engine.js';
import type { RunSpec } from '../model/containers.js';
import { errorMessage } from '../model/errors.js';
import { LABEL_BACKUP_DRILL } from '../model/labels.js';
import { hookTimeoutMs } from '../model/portContract.js';
import { snapshotArchivePath, verifySnapshot } from '../snapshots/snapshot.js';
import type { EventDraft } from '../store/events.js';
import { type FetchedBackup, fetchBackup } from './fetch.js';
import { scratchLabels, sweepLeftovers } from './leftovers.js';
import { openAndList } from './repository.js';
import { chooseEntries } from './restore.js';
import { backupEntries, pickBackup, resticTarget } from './target.js';

/** The image of the default check (scripts/setup.sh builds it on every box). */
export const DRILL_IMAGE = 'localhost/hiy/busybox:latest';

/** One volume's drill. */
export interface DrillResult {
  resource: string;
  volume: string;
  backupId: string;
  time: string;
  passed: boolean;
  /** `port check hook` or `default (archive checksum and file count)`. */
  check: string;
  files?: number;
  error?: string;
}

/** Runs the check of one fetched backup in a container with no network; resolves to an error, or undefined. */
async function runCheck(
  engine: Engine,
  fetched: FetchedBackup,
  volume: string,
): Promise<{ check: string; error?: string }> {
  const { entry, snapshot } = fetched;
  const release = (await engine.stores.releases.list(entry.resource)).at(-1);
  const hook = release?.workload?.port?.hooks.check;
  const mount = release?.run.volumes.find((v) => v.source === entry.volume);
  const base = {
    name: `hiy-${engine.settings.instance}-drill-${randomBytes(4).toString('hex')}`,
    labels: { [LABEL_BACKUP_DRILL]: engine.settings.instance },
    publish: [],
    restart: 'no' as const,
    stopTimeoutSeconds: 1,
    network: { name: 'none', aliases: [] },
  };
  if (hook && release && mount) {
    const spec: RunSpec = {
      ...base,
      image: release.run.image,
      env: { ...release.run.env, HIY_HOOK: 'check', HIY_RESOURCE: entry.resource, HIY_DRILL: '1' },
      entrypoint: hook,
      args: [],
      volumes: [{ source: volume, target: mount.target, readOnly: false }],
    };
    const r = await engine.podman.runHook(spec, hookTimeoutMs(release.workload?.port?.hooks ?? {}));
    const check = `the check hook of port ${release.workload?.port?.name}`;
    return r.exitCode === 0 ? { check } : { check, error: `${check} failed (exit ${r.exitCode})` };
  }
  // The archive's sha256 was checked before the import; what the container sees must hold as many files.
  const script = `cd /data && n=$(find . -type f | wc -l) && [ "$n" -eq ${snapshot.files} ] || { echo "files: $n, manifest: ${snapshot.files}"; exit 1; }`;
  const spec: RunSpec = {
    ...base,
    image: DRILL_IMAGE,
    env: {},
    entrypoint: ['/bin/sh', '-c', script],
    args: [],
    volumes: [{ source: volume, target: '/data', readOnly: true }],
  };
  const r = await engine.podman.runHook(spec, 10 * 60_000);
  const check = 'default (archive checksum and file count)';
  return r.exitCode === 0 ? { check } : { check, error: `${check} failed: ${r.output.trim().slice(-500)}` };
}

/** Verifies a fetched backup and imports it into a new scratch volume (Podman writes it, rootless too). */
async function intoScratch(engine: Engine, fetched: FetchedBackup, step?: (m: string) => void) {
  const deps = { podman: engine.podman, dataDir: engine.settings.dataDir };
  const { snapshot } = fetched;
  step?.(`verifying ${snapshot.volume}/${snapshot.id} (${snapshot.files} files, sha256)`);
  await verifySnapshot(deps, snapshot);
  const name = `hiy-${engine.settings.instance}-scratch-${randomBytes(4).toString('hex')}`;
  await engine.podman.createVolume(name, scratchLabels(engine.settings.instance));
  const remove = () => engine.podman.removeVolume(name).catch(() => {});
  try {
    step?.(`importing it into scratch volume ${name}`);
    await engine.podman.importVolume(name, snapshotArchivePath(deps, snapshot));
  } catch (err) {
    await remove();
    throw err;
  }
  return { name, remove };
}

/**
 * Drills the latest backup of each volume (of `resource`, or all). A failed restore or check is a failed drill,
 * never an exception; the scratch volume is removed either way. Records `backup.drill.passed|failed` events.
 */
export async function drillBackups(
  engine: Engine,
  opts: { backup?: string; resource?: string; onStep?: (m: string) => void } = {},
): Promise<DrillResult[]> {
  const backup = await pickBackup(engine, opts.backup);
  await sweepLeftovers(engine, opts.onStep);
  const target = await resticTarget(engine, backup);
  const list = await openAndList(engine, backup, target);
  const results: DrillResult[] = [];
  for (const entry of chooseEntries(backupEntries(backup.metadata.name, list), opts)) {
    const base = { resource: entry.resource, volume: entry.volume, backupId: entry.id, time: entry.time };
    let fetched: FetchedBackup | undefined;
    let scratch: { name: string; remove: () => Promise<void> } | undefined;
    try {
      fetched = await fetchBackup(engine, target, entry, opts.onStep);
      scratch = await intoScratch(engine, fetched, opts.onStep);
      opts.onStep?.(`checking ${entry.volume} in a container with no network`);
      const { check, error } = await runCheck(engine, fetched, scratch.name);
      const files = fetched.snapshot.files;
      results.push({ ...base, check, files, passed: error === undefined, ...(error && { error }) });
    } catch (err) {
      results.push({ ...base, check: 'restore and verification', passed: false, error: errorMessage(err) });
    } finally {
      await scratch?.remove();
      await fetched?.release();
    }
  }
  await engine.stores.events.append(results.map((r) => drillEvent(backup.metadata.name, r)));
  const at = new Date().toISOString();
  // One outcome per resource: its drill passed when every volume's did.
  const byResource = new Map<string, DrillResult[]>();
  for (const r of results) byResource.set(r.resource, [...(byResource.get(r.resource) ?? []), r]);
  await engine.stores.backupHistory.record(
    [...byResource].map(([resource, rs]) => {
      const failed = rs.filter((r) => !r.passed);
      return {
        backup: backup.metadata.name,
        resource,
        what: 'drill' as const,
        ok: failed.length === 0,
        at,
        ...(failed.length && { error: failed.map((r) => `${r.volume}: ${r.error}`).join('; ') }),
      };
    }),
  );
  return results;
}

function drillEvent(backup: string, r: DrillResult): EventDraft {
  const data = {
    backup,
    volume: r.volume,
    id: r.backupId,
    check: r.check,
    ...(r.error && { error: r.error }),
  };
  return r.passed
    ? {
        type: 'backup.drill.passed',
        resource: r.resource,
        message: `${r.resource}: restore drill of ${r.volume} passed (backup ${r.backupId.slice(0, 8)}, ${r.files} files, ${r.check})`,
        data,
      }
    : {
        type: 'backup.drill.failed',
        resource: r.resource,
        message: `${r.resource}: restore drill of ${r.volume} FAILED (backup ${r.backupId.slice(0, 8)}): ${r.error}`,
        data,
      };
}
