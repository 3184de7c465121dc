// Releases: each applied change of a resource's container, numbered, with what rollback needs to redo it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSpec } from '../model/containers.js';
import type { DesiredWorkload } from '../model/workload.js';
import { writeFileAtomic } from './atomic.js';

/** One applied version of a resource. */
export interface Release {
  /** 1, 2, 3… per resource. */
  number: number;
  resource: string;
  /** State repo commit the release was applied from. */
  stateCommit: string;
  image: string;
  specHash: string;
  /** Exactly how the container was run (rollback runs it again). */
  run: RunSpec;
  /** The resolved desired workload of the release: what `hiy rollback` pins the resource to. */
  workload?: DesiredWorkload;
  /** Ids of the snapshots taken before this release replaced the previous one. */
  snapshots: string[];
  /** With `rollback --with-data`: the snapshots restored into the volumes before this release started. */
  restoredSnapshots?: string[];
  appliedAt: string;
  /** How the release came about. */
  cause: 'apply' | 'rollback' | 'restart';
  /** For a rollback: the release it redeployed. */
  rolledBackTo?: number;
}

function fileOf(dataDir: string, resource: string): string {
  return join(dataDir, 'releases', `${resource.replace('/', '_')}.json`);
}

/** The releases of each resource, one JSON file per resource under `<dataDir>/releases/`. */
export class ReleaseStore {
  constructor(private readonly dataDir: string) {}

  async list(resource: string): Promise<Release[]> {
    try {
      return JSON.parse(await readFile(fileOf(this.dataDir, resource), 'utf8')) as Release[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Appends a release with the next number and returns it. */
  async record(release: Omit<Release, 'number'>): Promise<Release> {
    const all = await this.list(release.resource);
    const next: Release = { number: (all.at(-1)?.number ?? 0) + 1, ...release };
    all.push(next);
    await writeFileAtomic(fileOf(this.dataDir, release.resource), `${JSON.stringify(all, null, 2)}\n`);
    return next;
  }
}
