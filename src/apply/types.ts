// What applying a plan needs (its dependencies) and what it reports: shared by every action handler.
import type { CaddyConfig, CaddyDriver } from '../drivers/caddy/types.js';
import type { PodmanDriver, VolumeInfo } from '../drivers/podman/types.js';
import type { Prober } from '../drivers/probe/prober.js';
import type { RunSpec } from '../model/containers.js';
import type { Journal } from '../store/journal.js';
import type { SecretSource } from '../store/secrets.js';
import type { ApplyListener } from './events.js';

/** What builds need beyond Podman, wired by the composition root from src/push (apply never imports it). */
export interface BuildSupport {
  /** A Containerfile for a context that has none (a detected stack); throws when no stack is recognised. */
  /** `app` keys the build's caches: one App's build never reads what another App's build wrote. */
  containerfileFor(contextDir: string, app: string): Promise<{ reason: string; text: string }>;
  /** Caps used when the App sets no `resources`. */
  caps: { memoryBytes?: number; cpus?: number };
  /** Why there are no caps, when there are none. */
  capsNote?: string;
  /** No cap can be set (rootless Podman that cannot enforce limits: runc refuses them), not even an App's own. */
  uncapped?: boolean;
  /** Longest a build may take when the App sets no `spec.build.timeout` (HIY_BUILD_TIMEOUT). */
  timeoutMs?: number;
}

/** Writes the files of a commit into a directory (for builds). */
export type ExportCommit = (gitDir: string, commit: string, dest: string) => Promise<void>;

export interface ApplyDeps {
  podman: PodmanDriver;
  /**
   * The instance's networks (docs/ports.md): every new container joins its own one and its links' ones, named
   * from `prefix` and created with `labels`; absent: Podman's default network.
   */
  network?: { prefix: string; labels: Record<string, string> };
  caddy: CaddyDriver;
  prober: Prober;
  exportCommit: ExportCommit;
  /** Caddy's config as observed with the plan; HIY's part is merged into it, the rest kept as it is. */
  caddyConfig: CaddyConfig | null;
  onEvent?: ApplyListener;
  /** How many container actions run at once (default 4). */
  concurrency?: number;
  /** HIY's data directory: snapshots live under it. Without it, upgrades take no snapshot (unit tests only). */
  dataDir?: string;
  /** Volumes as observed with the plan (their mountpoints are needed to verify snapshots). */
  volumes?: VolumeInfo[];
  /** State repo commit being applied, recorded in snapshot manifests. */
  stateCommit?: string;
  /** Values of secretEnv (HIY's secret store); needed only by plans whose containers use secrets. */
  secrets?: SecretSource;
  /** Records each interruptible step before and after it, so a crash can be recovered (see recover.ts). */
  journal?: Journal;
  /** Generated Containerfiles for detected stacks and default build caps (see ./build.ts). */
  build?: BuildSupport;
  /** Stops the image builds under way (a cancelled push); the build fails naming the signal's reason. */
  buildSignal?: AbortSignal;
  /**
   * Keeps the output of a container just before apply removes it (`hiy logs --previous`). Never throws: a
   * failure to keep it must not fail the apply. Resolves to whether it was kept. Absent: nothing is kept.
   */
  keepLogs?: (removed: RemovedContainer) => Promise<boolean | undefined>;
}

/** A container apply is about to remove: a replaced one, or one whose resource is gone. */
export interface RemovedContainer {
  resource: string;
  /** Its id (a stop-first upgrade renames it before removing it). */
  id: string;
  name: string;
  /** `failed`: a new container that did not become healthy, removed as its deploy rolls back. */
  reason: 'replaced' | 'removed' | 'failed';
}

export interface ActionResult {
  address: string;
  status: 'done' | 'failed' | 'skipped';
  error?: string;
  /** A failed replacement that put the previous container (and its data) back. */
  rolledBack?: boolean;
  ms?: number;
  /** The run spec the container was started with when apply added to the plan's (its networks). */
  run?: RunSpec;
}

export interface ApplyResult {
  ok: boolean;
  results: ActionResult[];
  /** Calls that wrote to Caddy (0 or 1). */
  caddyWrites: number;
}
