// One snapshot of reality: HIY's containers, volumes and Caddy state, read in a constant number of calls.
import type { CaddyConfig } from '../drivers/caddy/types.js';
import type { ContainerInfo, VolumeInfo } from '../model/containers.js';
import type { ProxyState } from '../model/routing.js';

/** HIY's part of Caddy's config, parsed back. */
export interface ObservedProxy {
  /** HIY's server exists in Caddy's config. */
  present: boolean;
  state?: ProxyState;
  /** What is in Caddy is exactly what HIY renders for `state` (false after a hand edit). */
  pristine: boolean;
}

export interface ObservedState {
  /** Containers labelled as this instance's, running or not. */
  containers: ContainerInfo[];
  /** Host ports published by other HIY instances' containers: never to be picked for an upstream. */
  portsInUse: number[];
  /** Volumes labelled as this instance's. */
  volumes: VolumeInfo[];
  /** Caddy's whole config as read (needed to load a new one that keeps the user's parts). */
  caddyConfig: CaddyConfig | null;
  proxy: ObservedProxy;
}
