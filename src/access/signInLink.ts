// `hiy login USER` and `ssh hiy@box login`: a one-time sign-in URL for a User of the state repo.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitReader } from '../drivers/git/types.js';
import { HiyError } from '../model/errors.js';
import { DEFAULT_API_ADDR, type Settings } from '../model/settings.js';
import type { LoginLinkStore } from '../store/loginLinks.js';
import { loadAccess } from './stateAccess.js';

/** The user asked for is not a User of the state repo. */
export class UnknownUserError extends HiyError<{ user: string; known: string[] }> {
  constructor(
    readonly user: string,
    readonly known: string[],
  ) {
    super('UNKNOWN_USER', `no User ${user} in the state repo (users: ${known.join(', ') || 'none'})`, {
      data: { user, known },
    });
    this.name = 'UnknownUserError';
  }
}

/** `scheme://host[:port]` of the dashboard published through Caddy at `host` (the port when not the default). */
export function publishedUrl(
  host: string,
  tls: string | undefined,
  httpAddr?: string,
  httpsAddr?: string,
): string {
  const plain = tls === 'off';
  const port = /:(\d+)$/.exec((plain ? httpAddr : httpsAddr) ?? '')?.[1];
  const shown = port && port !== (plain ? '80' : '443') ? `:${port}` : '';
  return `${plain ? 'http' : 'https'}://${host}${shown}`;
}

/**
 * Where the dashboard is reached: `https://HIY_DASHBOARD_HOST` (http when HIY_TLS=off; the listen address's port
 * when it is not the default) when it is published through Caddy, by these settings or else by the daemon's
 * (DATA_DIR/daemon.json), else the daemon's API address as daemon.json publishes it, else the default address.
 */
export async function dashboardBaseUrl(
  settings: Pick<Settings, 'dashboardHost' | 'tls' | 'dataDir'> &
    Partial<Pick<Settings, 'httpAddr' | 'httpsAddr'>>,
): Promise<string> {
  if (settings.dashboardHost)
    return publishedUrl(settings.dashboardHost, settings.tls, settings.httpAddr, settings.httpsAddr);
  try {
    const runtime = JSON.parse(await readFile(join(settings.dataDir, 'daemon.json'), 'utf8')) as {
      endpoints?: Record<string, string>;
      settings?: Record<string, string | undefined>;
    };
    const daemon = runtime.settings;
    if (daemon?.dashboardHost)
      return publishedUrl(daemon.dashboardHost, daemon.tls, daemon.httpAddr, daemon.httpsAddr);
    const api = runtime.endpoints?.api;
    if (api) return api.replace(/\/+$/, '');
  } catch {
    // no daemon running (yet): the default address
  }
  return `http://${DEFAULT_API_ADDR}`;
}

/**
 * Issues a sign-in link for `user`, who must be a User of the state repo at its head (read leniently, as ssh
 * access is: an unrelated broken file does not lock people out). Valid 10 minutes, for one use.
 */
export async function issueSignInLink(
  settings: Settings,
  git: GitReader,
  links: LoginLinkStore,
  user: string,
): Promise<{ url: string; expiresAt: string }> {
  const access = await loadAccess(settings, git);
  if (!access.users.has(user)) throw new UnknownUserError(user, [...access.users.keys()].sort());
  const { token, expiresAt } = await links.create(user);
  return { url: `${await dashboardBaseUrl(settings)}/login/link?t=${token}`, expiresAt };
}
