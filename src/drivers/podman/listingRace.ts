// Podman 4.3 lists racily: an object another process removes during `ps`/`volume ls` fails the whole listing.

/**
 * The errors of a listing that raced with another process removing its own object (issue 25): `podman volume ls`
 * failing with `no volume with name … found in database: no such volume`, `podman ps` with `no container with name
 * or ID … found: no such container` (or a removed pod, network or image). Listing again sees the world without it.
 */
const RACE =
  /no such (volume|container|pod|network|image|object)\b|no (volume|container|pod) with (name|id|name or id)\b/i;

/** Whether a failed listing's stderr is such a race, worth listing again. */
export function isListingRace(stderr: string): boolean {
  return RACE.test(stderr);
}

/** How often a listing is tried before its failure is reported. */
export const LISTING_TRIES = 3;

/** Pause before the n-th retry (n ≥ 1): short, as the other process's removal is done by then. */
export function listingRetryDelayMs(retry: number): number {
  return 50 * retry;
}
