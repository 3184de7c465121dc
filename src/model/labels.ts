// The labels HIY puts on everything it creates; ownership is decided by them, never by names.

export const LABEL_MANAGED_BY = 'hiy.managed-by';
export const MANAGED_BY_VALUE = 'hiy';
/** Which HIY instance owns the object; lets tests and several HIYs share one Podman. */
export const LABEL_INSTANCE = 'hiy.instance';
/** The resource id, e.g. `port/greeter`. */
export const LABEL_RESOURCE = 'hiy.resource';
/** Hash of the container-relevant spec (see DesiredWorkload.specHash). */
export const LABEL_SPEC_HASH = 'hiy.spec-hash';
/** On volumes: the volume name inside the resource (`data`). */
export const LABEL_VOLUME = 'hiy.volume';
/** On images: the source commit an App image was built from. */
export const LABEL_COMMIT = 'hiy.commit';
/**
 * On containers of a Port whose `tls.certificateFor` is delivered by its reload hook: the digest (`sha256:…`) of
 * the certificate the container started with (a later reload is recorded in status, by container id).
 */
export const LABEL_CERTIFICATE = 'hiy.certificate';
/**
 * On the image of each build stage but the last (multi-stage builds): `true`. With the App's resource label it
 * finds the App's old build stages, pruned after a successful deploy (src/apply/buildStages.ts).
 */
export const LABEL_BUILD_STAGE = 'hiy.build-stage';

/** On containers: the seconds between SIGTERM and SIGKILL it was created with (the workload's stopGracePeriod). */
export const LABEL_STOP_TIMEOUT = 'hiy.stop-timeout';
/** The stop timeout of a container without a readable LABEL_STOP_TIMEOUT (Podman's default, and the spec's). */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 10;
/** Label holding the container's spec as JSON (no secrets), so plans can show what changed. */
export const LABEL_SPEC = 'hiy.spec';
/** Label listing the Podman secrets a container uses (names only), so unused ones can be removed. */
export const LABEL_SECRETS = 'hiy.secrets';
/**
 * Label recording the networks apply put a container on (`{"hosts":{…},"networks":[…]}`), set when it is
 * created: judged when `podman ps` does not report the networks a container is on.
 */
export const LABEL_NETWORK = 'hiy.network';
/** Marks a scratch volume of the backups (never an instance's volume: it has no ownership labels, so no plan sees it). */
export const LABEL_SCRATCH = 'hiy.backup-scratch';
/** On the container of a restore drill: the instance that runs it. */
export const LABEL_BACKUP_DRILL = 'hiy.backup-drill';

/** The grace period a container was created with (its LABEL_STOP_TIMEOUT), or the default. */
export function stopTimeoutOf(labels: Readonly<Record<string, string>>): number {
  const grace = Number(labels[LABEL_STOP_TIMEOUT] ?? DEFAULT_STOP_TIMEOUT_SECONDS);
  return Number.isFinite(grace) ? grace : DEFAULT_STOP_TIMEOUT_SECONDS;
}

/** The labels identifying objects of one instance, used as list filters. */
export function ownershipLabels(instance: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_INSTANCE]: instance };
}

/**
 * On one-off containers (`hiy run`, scheduled jobs): `run` or `job:NAME`. One-offs carry the instance and resource
 * labels but never hiy.managed-by, so observation, planning and recovery never see them as a workload.
 */
export const LABEL_ONE_OFF = 'hiy.one-off';
/** On one-off containers: the pid of the hiy process running it; when that process is gone it is a leftover. */
export const LABEL_ONE_OFF_PID = 'hiy.one-off.pid';
/** On one-off containers: that process's start time and boot id (`START@BOOT`), so a reused pid is told apart. */
export const LABEL_ONE_OFF_OWNER = 'hiy.one-off.owner';
