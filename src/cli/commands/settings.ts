// `hiy settings` (help in settings.meta.ts): the effective settings, each with its source, and the daemon's view.
import type { CommandRun } from '../command.js';
import type { SettingSource } from '../config.js';
import { EXIT } from '../context.js';
import { describeDifferences, differencesFromDaemon } from '../daemonSettings.js';
import { isSecretSetting, SETTINGS_TABLE } from '../settingsTable.js';
import { table } from '../table.js';

/** One setting as `hiy settings --json` prints it; `value` is null when the default applies or it is secret. */
export interface SettingView {
  name: string;
  value: string | null;
  source: SettingSource;
  default: string;
  secret?: true;
}

export const run: CommandRun = async (deps, settings, ctx) => {
  const environment = deps.settingsEnvironment;
  const views: SettingView[] = SETTINGS_TABLE.map((spec) => {
    const source = environment?.sources[spec.name] ?? 'default';
    const raw =
      spec.name === 'HIY_DATA_DIR'
        ? settings.dataDir
        : spec.name === 'HIY_STATE' && settings.stateRepo
          ? settings.stateRepo
          : deps.io.env[spec.name];
    const secret = isSecretSetting(spec.name);
    const shown = spec.name === 'HIY_DATA_DIR' || source !== 'default' ? (raw ?? null) : null;
    return {
      name: spec.name,
      value: secret ? null : shown,
      source,
      default: spec.defaultText,
      ...(secret ? { secret: true as const } : {}),
    };
  });
  const daemon = await differencesFromDaemon(settings);
  const file = environment?.file;
  if (ctx.json) {
    deps.io.out(
      `${JSON.stringify(
        {
          file: file ?? null,
          settings: views,
          daemon: daemon ? { pid: daemon.pid, differences: daemon.differences } : null,
        },
        null,
        2,
      )}\n`,
    );
    return EXIT.ok;
  }
  const rows = [['SETTING', 'VALUE', 'FROM']];
  for (const v of views) {
    const value = v.secret ? '(set, not shown)' : (v.value ?? `(${v.default})`);
    rows.push([v.name, value, v.source]);
  }
  let text = `${table(rows)}\n\n`;
  if (file)
    text += `settings file: ${file.path}${file.exists ? '' : ' (none: create it to give every hiy these settings)'}\n`;
  if (!daemon) text += 'daemon: none runs on this data directory\n';
  else if (daemon.differences.length === 0)
    text += `daemon: pid ${daemon.pid}, same plan settings as these\n`;
  else
    text += `daemon: pid ${daemon.pid}, other plan settings (commands that apply refuse until they agree):\n${describeDifferences(
      daemon.differences,
    )
      .map((l) => `  ${l}`)
      .join('\n')}\n`;
  deps.io.out(text);
  return EXIT.ok;
};
