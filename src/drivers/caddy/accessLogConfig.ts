// Caddy's JSON for HIY's access log: the server's `logs`, a `logging.logs` entry writing to a small rolled file, and
// the default log told to leave those lines out. Pure; each instance touches only its own names.
import { isObject, type Json, objectAt, strings } from './json.js';

/** Caddy rolls the file at this size (MiB, its smallest unit)… */
export const ACCESS_LOG_ROLL_MB = 1;
/**
 * …and keeps this many rolled files beside it: the log never holds more than about 3 MiB, and the daemon reads
 * every line as long as fewer than about 14,000 requests (three files of ~225-byte lines) come between samples.
 */
export const ACCESS_LOG_ROLL_KEEP = 2;

/** The key of HIY's log under `logging.logs`, e.g. `hiy-access`. */
export function accessLogKey(server: string): string {
  return `${server}-access`;
}

/** The name of the logger Caddy writes the server's access lines with: `http.log.access.<server>`. */
export function accessLoggerName(server: string): string {
  return `http.log.access.${server}`;
}

/** The server's `logs`: every host of the server logs to the logger named after the server. */
export function serverLogs(server: string): Json {
  return { default_logger_name: server };
}

/**
 * The `logging.logs` entry: the server's access lines only, as JSON, written to `file` and rolled small
 * (uncompressed, so a reader can finish a rolled file). The filter keeps what the dashboard counts and drops
 * the rest: headers (cookies, tokens), TLS details, the client's address, and the query string of every URI.
 */
export function renderAccessLog(server: string, file: string): Json {
  return {
    writer: {
      output: 'file',
      filename: file,
      roll_size_mb: ACCESS_LOG_ROLL_MB,
      roll_keep: ACCESS_LOG_ROLL_KEEP,
      roll_keep_days: 1,
      roll_gzip: false,
    },
    encoder: {
      format: 'filter',
      wrap: { format: 'json' },
      fields: {
        'request>headers': { filter: 'delete' },
        'request>tls': { filter: 'delete' },
        'request>remote_ip': { filter: 'delete' },
        'request>remote_port': { filter: 'delete' },
        resp_headers: { filter: 'delete' },
        user_id: { filter: 'delete' },
        'request>uri': { filter: 'regexp', regexp: '\\?.*$', value: '' },
      },
    },
    include: [accessLoggerName(server)],
  };
}

/** The access log file of `server`'s log entry in a full config, when it is there. */
export function accessLogFileOf(full: Json | null, server: string): string | undefined {
  const log = objectAt(full ?? {}, ['logging', 'logs', accessLogKey(server)]);
  const writer = log && isObject(log['writer']) ? log['writer'] : undefined;
  return typeof writer?.['filename'] === 'string' ? writer['filename'] : undefined;
}

/** `server`'s log entry as it is in a full config (undefined when absent), and whether the default log leaves it out. */
export function ownedAccessLog(full: Json | null, server: string): { log: unknown; excluded: boolean } {
  const logs = objectAt(full ?? {}, ['logging', 'logs']);
  const def = logs && isObject(logs['default']) ? logs['default'] : undefined;
  return {
    log: logs?.[accessLogKey(server)],
    excluded: strings(def?.['exclude'])?.includes(accessLoggerName(server)) ?? false,
  };
}

/**
 * Puts `server`'s log entry into `out` (mutated; a clone of the caller's), or takes it out when `log` is null, and
 * adds or removes the server's logger in the default log's `exclude` (else Caddy's own log, stderr, would print
 * every request too). Other logs and other instances' entries are left as they are; a default log that only
 * existed for HIY's exclusions is removed with the last of them.
 */
export function mergeAccessLog(out: Json, server: string, log: Json | null): void {
  const logging = isObject(out['logging']) ? out['logging'] : undefined;
  if (!log && !logging) return;
  const root: Json = logging ?? {};
  out['logging'] = root;
  const logs: Json = isObject(root['logs']) ? root['logs'] : {};
  root['logs'] = logs;
  const key = accessLogKey(server);
  const logger = accessLoggerName(server);
  if (log) logs[key] = log;
  else delete logs[key];
  const def: Json = isObject(logs['default']) ? logs['default'] : {};
  const exclude = (strings(def['exclude']) ?? []).filter((n) => n !== logger);
  if (log) exclude.push(logger);
  if (exclude.length > 0) def['exclude'] = exclude;
  else delete def['exclude'];
  if (Object.keys(def).length > 0) logs['default'] = def;
  else delete logs['default'];
  if (Object.keys(logs).length === 0) delete root['logs'];
  if (Object.keys(root).length === 0) delete out['logging'];
}
