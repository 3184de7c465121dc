// The plan as data: ordered actions with reasons and JSON patches, serializable as it is.
import type { Operation } from 'fast-json-patch';
import type { BuildSpec, RunSpec } from '../model/containers.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { ResourceId } from '../model/names.js';
import type { ProxyRoute, ProxyState } from '../model/routing.js';
import type { BackoffState } from '../model/status.js';
import type { BuildSource, DesiredHealthCheck } from '../model/workload.js';

/** A hook of the port contract as an action carries it: the command, the port (for messages), its time limit. */
export interface HookRef {
  readonly command: string[];
  /** `port NAME VERSION`, for messages. */
  readonly port: string;
  /** The declaration's `hooks.timeout`; absent: HOOK_TIMEOUT_MS (10 minutes). */
  readonly timeoutMs?: number;
}
/** What happens to one object; the symbol Terraform users know is CHANGE_SYMBOL[change]. */
export type Change = 'create' | 'update' | 'replace' | 'delete';

export const CHANGE_SYMBOL: Record<Change, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
};

interface ActionBase {
  /** Unique within the plan, e.g. `container/hiy-greeter`. */
  readonly address: string;
  readonly change: Change;
  /** The resource this action serves, or `caddy` for HIY's Caddy server itself. */
  readonly resource: ResourceId | 'caddy';
  /** Why, for humans only; apply never reads it. */
  readonly reason: string;
  /** RFC 6902 patch from before to after (empty for creates and deletes). */
  readonly patch: Operation[];
  readonly before: unknown;
  readonly after: unknown;
}

export interface VolumeCreate extends ActionBase {
  readonly kind: 'volume.create';
  readonly change: 'create';
  readonly volume: { name: string; labels: Record<string, string> };
}

export interface ImageBuild extends ActionBase {
  readonly kind: 'image.build';
  readonly change: 'create';
  readonly source: BuildSource;
  /** Context dir and file are relative to the checked-out commit; apply resolves them after checkout. */
  readonly image: Omit<BuildSpec, 'contextDir' | 'file' | 'signal'> & {
    context: string;
    dockerfile?: string;
  };
}

/** A container ref as observed. */
export interface ContainerRef {
  readonly name: string;
  readonly id: string;
  readonly stopTimeoutSeconds: number;
}

/** A Podman secret a container needs: its name, the variable, the store's name and the salted digest. */
export interface SecretUse {
  readonly name: string;
  readonly env: string;
  readonly ref: string;
  readonly digest: string;
}

export interface ContainerCreate extends ActionBase {
  readonly kind: 'container.create';
  readonly change: 'create';
  readonly run: RunSpec;
  /** Podman secrets to create (from HIY's secret store) before the container runs. */
  readonly secrets?: SecretUse[];
  readonly healthcheck?: DesiredHealthCheck;
  /** The port's check hook, run in a one-off container of this configuration before it first starts. */
  readonly check?: HookRef;
  /** Linked Ports, reached by these names over each link's own network: name → resource id. */
  readonly links?: Record<string, string>;
  /** The workloads linking to it: it runs at a fixed address on each of their link networks. */
  readonly linkedBy?: string[];
}

export interface ContainerReplace extends ActionBase {
  readonly kind: 'container.replace';
  readonly change: 'replace';
  /**
   * `start-first` (no volumes, no host ports): the new container starts under a temporary name and new
   * upstream ports, proves healthy, Caddy switches to it, then the old one is removed and the new one takes
   * its name — clients see no failed request. `stop-first` (volumes or host ports, where two containers would
   * share a writer or a port): the old one stops before the new one starts.
   */
  readonly strategy: 'start-first' | 'stop-first';
  /** The container's final name; `run.name` is a temporary name (`NAME_next`) for start-first. */
  readonly finalName: string;
  readonly run: RunSpec;
  /** Podman secrets to create (from HIY's secret store) before the container runs. */
  readonly secrets?: SecretUse[];
  readonly healthcheck?: DesiredHealthCheck;
  /** The port's check hook, run in a one-off container of this configuration before it first starts. */
  readonly check?: HookRef;
  /** Linked Ports, reached by these names over each link's own network: name → resource id. */
  readonly links?: Record<string, string>;
  /** The workloads linking to it: it runs at a fixed address on each of their link networks. */
  readonly linkedBy?: string[];
  readonly previous: ContainerRef;
  /** Volumes the container mounts (the data-safety steps snapshot them). */
  readonly volumes: string[];
  /** Snapshots kept per volume once the upgrade succeeded (the resource's `snapshots.keep`). */
  readonly keepSnapshots: number;
  /**
   * What asked for this replace beyond the state (Terraform's `-replace`): `restart` (`hiy restart`), whose
   * snapshots are recorded with reason `restart`. Absent: the state or the box changed.
   */
  readonly trigger?: 'restart';
  /** The port's dump hook: run in the running container before its volumes are snapshotted. */
  readonly dump?: HookRef;
  /** The data version the volumes hold now (recorded in the snapshots' manifests). */
  readonly dataVersion?: number;
  /** Set when the new image's data version is higher: migrate from → to, one step at a time, after the snapshot. */
  readonly migrate?: HookRef & { from: number; to: number };
  /**
   * Set by `hiy rollback --with-data`: after the current data is snapshotted and verified, these snapshots are
   * restored into their volumes before the new container starts (stop-first only).
   */
  readonly restoreData?: { volume: string; snapshot: string }[];
}

export interface ContainerStart extends ActionBase {
  readonly kind: 'container.start';
  readonly change: 'update';
  readonly container: ContainerRef;
  readonly run: RunSpec;
  readonly healthcheck?: DesiredHealthCheck;
}

export interface ContainerDelete extends ActionBase {
  readonly kind: 'container.delete';
  readonly change: 'delete';
  readonly container: ContainerRef;
}

/**
 * A renewed certificate delivered to a running container (a Port's `tls.certificateFor` whose port declares a
 * reload hook): the new files are already visible through its folder's bind mount; the hook, run with `podman
 * exec`, has the service load them. The container is not replaced.
 */
export interface CertificateReload extends ActionBase {
  readonly kind: 'certificate.reload';
  readonly change: 'update';
  readonly container: ContainerRef;
  /** The host whose certificate it is. */
  readonly host: string;
  /** The digest (`sha256:…`) of the certificate Caddy holds, which the container serves once reloaded. */
  readonly digest: string;
  /** The port's reload hook. */
  readonly reload: HookRef;
  /** The secrets (store names) the container uses: their values are masked in the hook's output. */
  readonly secrets?: string[];
}

export interface RouteChange extends ActionBase {
  readonly kind: 'route.change';
  /** Routes of the resource after the change (empty for a delete). */
  readonly routes: ProxyRoute[];
}

/** Every action kind; apply has one handler per kind, checked for exhaustiveness by the compiler. */
export type Action =
  | VolumeCreate
  | ImageBuild
  | ContainerCreate
  | ContainerReplace
  | ContainerStart
  | ContainerDelete
  | CertificateReload
  | RouteChange;

/** A resource held at a release by a rollback (`pinned`), or whose pin the state repo's change lifts (`lifted`). */
export interface PinNote {
  readonly resource: string;
  readonly release: number;
  /** State repo commit whose version of the resource the pin ignores. */
  readonly ignoredCommit: string;
  readonly pinnedAt: string;
  readonly state: 'pinned' | 'lifted';
}

/** A resource left out of a plan: its apply failed for this very spec and its retry time has not come. */
export interface DeferredNote {
  readonly resource: string;
  /** Why, for humans. */
  readonly reason: string;
  /** The backoff that holds it back, as recorded after its last failure; recorded again with this run. */
  readonly backoff: BackoffState;
}

/** A volume HIY keeps although nothing in the state repo uses it any more. */
export interface RetainedVolume {
  readonly name: string;
  readonly resource: string;
  readonly reason: string;
}

/**
 * A secret apply writes before its actions (docs/ports.md): a value a Port's declaration has HIY generate
 * (`create`, once), or a value a linked Port provides (`write`). By name only: a plan never holds a value.
 */
export interface SecretWrite {
  readonly name: string;
  /** The resource whose container uses it. */
  readonly resource: string;
  readonly change: 'create' | 'write';
  /** Why, for humans. */
  readonly reason: string;
}

/** How the memory of the containers a plan starts was estimated: counts by basis. */
export interface CapacityEstimate {
  /** Containers of an image whose running containers here were measured (median of their cgroups). */
  measured: number;
  /** Containers planned at their declared `resources.memory`. */
  declared: number;
  /** Containers planned at DEFAULT_CONTAINER_MEMORY (src/plan/capacity.ts). */
  default: number;
}

/** The capacity check of a plan that starts containers (Plan.capacity). */
export interface CapacityCheck {
  /** `exceeded`: apply refuses it unless allowed; `tight`: a warning; `ok`: fits with room to spare. */
  readonly verdict: 'ok' | 'tight' | 'exceeded';
  /** Containers the plan starts (created or started again; a replacement takes its predecessor's place). */
  readonly starts: number;
  readonly memory: {
    readonly needBytes: number;
    /** What they may take: what the box has available, or what HIY_BOX_MEMORY_LIMIT leaves. */
    readonly budgetBytes: number;
    readonly source: string;
    readonly estimate: CapacityEstimate;
  };
  readonly pids: { readonly need: number; readonly budget: number; readonly source: string };
  /** One sentence per limit that is tight or exceeded, for humans. */
  readonly problems: readonly string[];
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
}

export const PLAN_FORMAT_VERSION = 1;

/** A plan: what apply will do, computed purely from desired state, observed state and history. */
export interface Plan {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  readonly instance: string;
  readonly repo: string;
  readonly branch: string;
  /** State repo commit the plan came from. */
  readonly commit: string;
  /** Fingerprint of the observation the plan was computed from; apply of a saved plan checks it. */
  readonly observedFingerprint: string;
  readonly actions: readonly Action[];
  readonly retained: readonly RetainedVolume[];
  /**
   * Set when the plan would remove more than half of the resources HIY manages here at once (a wrong branch,
   * an emptied state repo): apply refuses such a plan unless explicitly allowed (`--allow-mass-delete`).
   */
  readonly massDelete?: { removing: string[]; managed: number };
  /** HIY's whole Caddy state after the plan; loaded in one request when any route.change is present. */
  readonly proxy: ProxyState;
  /** Resources pinned to a release by `hiy rollback`, and pins this plan lifts because the state repo changed. */
  readonly pins?: readonly PinNote[];
  /**
   * Resources left out because they back off (only when the plan was asked to honour backoff, as the daemon
   * does; `hiy apply` by hand retries everything). They keep being served by their current container.
   */
  readonly deferred?: readonly DeferredNote[];
  /**
   * Secrets apply writes, under its lock, before any action (then plans again with their digests): planning
   * itself writes nothing. Containers that use one show its digest as `pending` until then.
   */
  readonly secrets?: readonly SecretWrite[];
  /**
   * Warnings about the state repo found while planning (a variable a Port's image does not declare, a grant to an
   * unknown app…), as diagnostics like the errors that refuse a plan. Set by the engine, for humans: apply never
   * reads them. `hiy plan --json` always prints the array, empty when there is none.
   */
  readonly warnings?: readonly Diagnostic[];
  /**
   * Whether the containers the plan starts fit the box (src/plan/capacity.ts), judged by the engine from box
   * facts read just before; absent when the plan starts none (or no box was read). Apply refuses an `exceeded`
   * plan unless explicitly allowed (`--allow-over-capacity`).
   */
  readonly capacity?: CapacityCheck;
  readonly summary: PlanSummary;
}
