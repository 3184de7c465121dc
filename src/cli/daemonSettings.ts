// A command's settings against the running daemon's: a command that would plan differently says so (and refuses).
import {
  planSettings,
  type SettingDifference,
  type Settings,
  settingsDifferences,
} from '../model/settings.js';
import { runningDaemon } from '../store/daemonRuntime.js';
import { UsageError } from './config.js';

/** The daemon running on the data directory and where this command's plan settings differ from its own. */
export async function differencesFromDaemon(
  settings: Settings,
): Promise<{ pid: number; differences: SettingDifference[] } | undefined> {
  const daemon = await runningDaemon(settings.dataDir);
  if (!daemon?.settings) return undefined;
  const here = planSettings(settings);
  // A command given no state repo (hiy settings, say) takes the daemon's rather than differing from it.
  if (!here.stateRepo) here.stateRepo = daemon.settings.stateRepo;
  return { pid: daemon.pid, differences: settingsDifferences(daemon.settings, here) };
}

/** The differences as lines for a person: `HIY_TLS: the daemon has off, this command acme`. */
export function describeDifferences(list: SettingDifference[]): string[] {
  const show = (v: string | undefined) => (v === undefined ? 'unset' : v);
  return list.map((d) => `${d.variable}: the daemon has ${show(d.daemon)}, this command ${show(d.here)}`);
}

/** How a command treats a difference: refuse to act on it, or only say so. */
export type SettingsCheck = 'refuse' | 'warn';

/**
 * Checks a command's settings against the running daemon's. `refuse` throws a usage error naming every
 * difference (the command would undo what the daemon does, e.g. remove the dashboard's route); `warn` prints them.
 */
export async function checkAgainstDaemon(
  settings: Settings,
  check: SettingsCheck,
  warn: (text: string) => void,
): Promise<void> {
  const found = await differencesFromDaemon(settings);
  if (!found || found.differences.length === 0) return;
  const lines = describeDifferences(found.differences).map((l) => `  ${l}`);
  const fix =
    "Put the daemon's settings in the settings file (hiy settings shows where each value comes from) " +
    'or give this command the same ones';
  if (check === 'refuse')
    throw new UsageError(
      `the hiy daemon running on this data directory (pid ${found.pid}) has other settings than this command:\n${lines.join('\n')}\n` +
        `Applying with these would undo what the daemon does. ${fix}; --force-settings applies anyway.`,
    );
  warn(
    `hiy: warning: the hiy daemon (pid ${found.pid}) has other settings; this plan is not what it would do:\n${lines.join('\n')}\n`,
  );
}
