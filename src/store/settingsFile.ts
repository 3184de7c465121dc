// DATA_DIR/settings.env: the instance's settings as HIY_NAME=value lines, read by every command and the daemon.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file's name in the data directory. */
export const SETTINGS_FILE = 'settings.env';

/** One setting of the file and the line it is on (1-based). */
export interface SettingLine {
  value: string;
  line: number;
}

export interface SettingsFile {
  /** Absolute path of the file (whether or not it exists). */
  path: string;
  exists: boolean;
  values: Map<string, SettingLine>;
  /** `path:line: problem`, every one of the file (nothing is taken from a file with problems). */
  problems: string[];
}

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/** One value: bare (to the end of the line, a ` #` comment cut), '…' (literal) or "…" (\" \\ \$ \` escapes). */
function parseValue(raw: string): string | undefined {
  const text = raw.trim();
  if (text.startsWith("'")) {
    const m = /^'([^']*)'\s*(#.*)?$/.exec(text);
    return m ? m[1] : undefined;
  }
  if (text.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(text);
    return m ? m[1]!.replace(/\\(["\\$`])/g, '$1') : undefined;
  }
  const bare = text.replace(/\s+#.*$/, '');
  // A shell would split or expand these; the file means the same to sh (systemd's EnvironmentFile=, `. file`).
  return /[\s"'`$\\;&|<>()*?[\]{}~]/.test(bare) ? undefined : bare;
}

/**
 * Parses the text of a settings file: blank lines and `#` comments are skipped; each other line is
 * `NAME=value` (optionally after `export`), quoted as sh would read it. Names must be HIY_*; each at most once.
 */
export function parseSettingsFile(text: string, path: string): Omit<SettingsFile, 'exists'> {
  const values = new Map<string, SettingLine>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = LINE.exec(trimmed);
    if (!m) {
      problems.push(`${path}:${line}: expected NAME=value, not ${JSON.stringify(trimmed)}`);
      return;
    }
    const [, name, rawValue] = m as unknown as [string, string, string];
    if (!name.startsWith('HIY_')) {
      problems.push(`${path}:${line}: ${name}: only HIY_* settings belong in this file`);
      return;
    }
    const value = parseValue(rawValue);
    if (value === undefined) {
      problems.push(
        `${path}:${line}: ${name}: quote the value ('…') if it has spaces, quotes or shell characters`,
      );
      return;
    }
    const seen = values.get(name);
    if (seen) {
      problems.push(`${path}:${line}: ${name} is already set on line ${seen.line}`);
      return;
    }
    values.set(name, { value, line });
  });
  return { path, values, problems };
}

/** Reads DATA_DIR/settings.env; a missing file is an empty one, an unreadable one a problem. */
export function readSettingsFile(dataDir: string): SettingsFile {
  const path = join(dataDir, SETTINGS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { path, exists: false, values: new Map(), problems: [] };
    return { path, exists: false, values: new Map(), problems: [`${path}: cannot read it (${code})`] };
  }
  return { ...parseSettingsFile(text, path), exists: true };
}

/** A value as the file writes it: bare when sh reads it unchanged, else single-quoted. */
export function settingsFileValue(value: string): string {
  if (value !== '' && parseValue(value) === value) return value;
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
}
