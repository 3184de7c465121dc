// The daemon's watch on Caddy's certificate storage: when Caddy obtains or renews the certificate of a host a
// Port asks for (`tls.certificateFor`), a run is enqueued within a second instead of at the next resync.
import type { DesiredState } from '../desired/types.js';
import type { HostCertificate } from '../model/routing.js';
import type { TriggerHandle } from './triggers.js';

/** How often Caddy's storage is looked at while some Port asks for a certificate. */
export const CERTIFICATE_POLL_MS = 1000;

export interface CertificateWatchOptions {
  /** Reads the certificates Caddy's storage holds for `hosts` (drivers/caddy/storage.ts); never throws for none. */
  read(hosts: readonly string[]): Promise<Readonly<Record<string, HostCertificate>>>;
  /** Wakes the controller: Caddy's certificate of `host` is not the one the last plan saw. */
  enqueue(host: string): void;
  intervalMs?: number;
  onError?(err: unknown): void;
}

export interface CertificateWatch extends TriggerHandle {
  /** After each plan: the hosts its Ports ask for and the certificates the plan saw for them (absent: none yet). */
  update(desired: DesiredState, seen: Readonly<Record<string, HostCertificate>> | undefined): void;
}

/**
 * Polls Caddy's storage (a directory listing, two stats and one small read per host and issuer: far cheaper
 * than a run) and enqueues when a host's certificate differs from what the last plan saw: the first issuance on
 * a fresh box (the Port then gets the folder mounted) or a renewal (a reload, or a replace without a reload
 * hook). Polling rather than watching: the folder of a host does not exist before its first issuance, and
 * Caddy may keep its storage where HIY's user may read the files but not watch the folders. Each certificate
 * enqueues once until the next plan; nothing is read while no Port asks for one.
 */
export function startCertificateWatch(opts: CertificateWatchOptions): CertificateWatch {
  let hosts: string[] = [];
  /** host → the digest the last plan saw ('' when Caddy held none). */
  let planned = new Map<string, string>();
  /** host → the digest a run was enqueued for since that plan. */
  const told = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let polling: Promise<void> = Promise.resolve();

  const poll = async (): Promise<void> => {
    if (hosts.length === 0) return;
    const held = await opts.read(hosts);
    for (const host of hosts) {
      const digest = held[host]?.digest ?? '';
      if (digest === (planned.get(host) ?? '') || told.get(host) === digest) continue;
      told.set(host, digest);
      opts.enqueue(host);
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      polling = poll()
        .catch((err) => opts.onError?.(err))
        .finally(schedule);
    }, opts.intervalMs ?? CERTIFICATE_POLL_MS);
  };
  schedule();

  return {
    update(desired, seen) {
      hosts = [...new Set(desired.workloads.flatMap((w) => (w.certificateFor ? [w.certificateFor] : [])))];
      planned = new Map(hosts.map((h) => [h, seen?.[h]?.digest ?? '']));
      told.clear();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await polling;
    },
  };
}
