// The data directory's stores, opened once by the composition root (src/main.ts) and carried by the engine.
import { AuditLog } from './audit.js';
import { BackupHistoryStore } from './backupHistory.js';
import { BuildRunStore } from './builds.js';
import { DataVersionStore } from './dataVersions.js';
import { DeliveryLog } from './deliveries.js';
import { EventLog } from './events.js';
import { faultsFromEnv } from './faults.js';
import { JobRunStore } from './jobRuns.js';
import { Journal } from './journal.js';
import { LoginLinkStore } from './loginLinks.js';
import { PasskeyStore } from './passkeys.js';
import { PinStore } from './pins.js';
import { PortDeclarationStore } from './portDeclarations.js';
import { PreviousLogStore } from './previousLogs.js';
import { ReleaseStore } from './releases.js';
import { SecretStore } from './secrets.js';
import { SessionStore } from './sessions.js';
import { StatusStore } from './status.js';
import { TokenStore } from './tokens.js';
import { UsageStore } from './usage.js';

export { proxySecret, readProxySecret } from './proxySecret.js';

/**
 * Every store of one data directory. One instance of each per process: the stores that queue writes in-process
 * (events, journal, deliveries) or cache (the secrets' salt) only do so within one instance. Every file they
 * write goes through store/atomic.ts (whole files atomically, appends fsynced), and a failed write names its
 * path.
 */
export interface Stores {
  /** `status.json`: last applied commit and per-resource records. */
  status: StatusStore;
  /** `events.jsonl`: the event history. */
  events: EventLog;
  /** `pins.json`: resources rolled back and pinned to a release. */
  pins: PinStore;
  /** `data-versions.json`: the port data version each volume holds. */
  dataVersions: DataVersionStore;
  /** `port-declarations.json`: port declarations read from images, by image id. */
  portDeclarations: PortDeclarationStore;
  /** `releases/`: the applied versions of each resource. */
  releases: ReleaseStore;
  /** `secrets/`: values for `spec.secretEnv` and the digests' salt. */
  secrets: SecretStore;
  /** `journal.jsonl`: the crash journal of apply steps. */
  journal: Journal;
  /** `audit.log`: who did what through the API, webhooks and ssh. */
  audit: AuditLog;
  /** `api-tokens.json`: API tokens, hashed. */
  tokens: TokenStore;
  /** `webhooks/deliveries.json`: webhook deliveries seen (replays are refused). */
  deliveries: DeliveryLog;
  /** `jobs/`: the last runs of each scheduled job. */
  jobRuns: JobRunStore;
  /** `previous-logs/`: the output of each resource's last removed container. */
  previousLogs: PreviousLogStore;
  /** `dashboard/sessions.json`: dashboard sessions, hashed. */
  sessions: SessionStore;
  /** One-time sign-in links, hashed. */
  links: LoginLinkStore;
  /** Passkeys (public keys only). */
  passkeys: PasskeyStore;
  /** `build-runs/`: the builds of pushes (active and the last ones), and cancel requests. */
  builds: BuildRunStore;
  /** `backup/history.json`: the last success and failure of each Backup's backups, drills and checks. */
  backupHistory: BackupHistoryStore;
  /** `usage.json`: what the daemon samples for the dashboard (CPU, memory, requests, volume sizes). */
  usage: UsageStore;
}

export interface OpenStoresOptions {
  /** The environment the journal's faults (the crash tests' points) are armed from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Opens the stores of `dataDir`. Cheap: nothing is read or created until a store is used. */
export function openStores(dataDir: string, opts: OpenStoresOptions = {}): Stores {
  return {
    status: new StatusStore(dataDir),
    events: new EventLog(dataDir),
    pins: new PinStore(dataDir),
    dataVersions: new DataVersionStore(dataDir),
    portDeclarations: new PortDeclarationStore(dataDir),
    releases: new ReleaseStore(dataDir),
    secrets: new SecretStore(dataDir),
    journal: new Journal(dataDir, faultsFromEnv(opts.env ?? process.env)),
    audit: new AuditLog(dataDir),
    tokens: new TokenStore(dataDir),
    deliveries: new DeliveryLog(dataDir),
    jobRuns: new JobRunStore(dataDir),
    previousLogs: new PreviousLogStore(dataDir),
    sessions: new SessionStore(dataDir),
    links: new LoginLinkStore(dataDir),
    passkeys: new PasskeyStore(dataDir),
    builds: new BuildRunStore(dataDir),
    backupHistory: new BackupHistoryStore(dataDir),
    usage: new UsageStore(dataDir),
  };
}
