// Reads Caddy's access log incrementally: from a saved position to the last whole line, across a roll or a
// truncation, a bounded number of bytes per read, each line counted once.
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

/** Where the last read stopped: the file (by inode) and the byte after its last whole line read. */
export interface AccessLogCursor {
  ino: number;
  offset: number;
}

/** One request of the access log, as far as the dashboard needs it. */
export interface AccessEntry {
  /** The request's host, lower case, without a port. */
  host: string;
  /** The request's path (Caddy's log has the query removed). */
  path: string;
  status: number;
  /** Seconds. */
  duration: number;
}

/** What one read found: the entries of the lines read whole, and where to start next time. */
export interface AccessLogRead {
  entries: AccessEntry[];
  cursor: AccessLogCursor | undefined;
  /** Lines that were not an access entry (or longer than the line limit), skipped. */
  skipped: number;
}

/** Limits of one read: at most `maxBytes` from the files, lines up to `maxLineBytes`. */
export interface AccessLogLimits {
  maxBytes?: number;
  maxLineBytes?: number;
}

const CHUNK = 64 * 1024;

/**
 * One line of Caddy's JSON access log as an entry; undefined for anything else (a partial or foreign line).
 * Status 0 is Caddy's "the handler wrote nothing", which Go answers 200.
 */
export function parseAccessLine(line: string): AccessEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as { request?: { host?: unknown; uri?: unknown }; status?: unknown; duration?: unknown };
  const host = o.request?.host;
  const uri = o.request?.uri;
  if (typeof host !== 'string' || typeof uri !== 'string' || typeof o.status !== 'number') return undefined;
  const bare = host
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  return {
    host: bare,
    path: uri.replace(/[?#].*$/s, '') || '/',
    status: o.status === 0 ? 200 : o.status,
    duration: typeof o.duration === 'number' && Number.isFinite(o.duration) ? o.duration : 0,
  };
}

/** Caddy's roller (lumberjack) renames `access.log` to `access-<time>.log` beside it: those files, oldest first. */
async function rolledFiles(file: string): Promise<string[]> {
  const ext = extname(file);
  const stem = basename(file, ext);
  const names = await readdir(dirname(file)).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(`${stem}-`) && n.endsWith(ext))
    .sort()
    .map((n) => join(dirname(file), n));
}

/** Reads `path` from `offset` to its last newline (at most `budget` bytes); calls `line` for each whole line. */
async function readLines(
  path: string,
  offset: number,
  budget: number,
  maxLine: number,
  line: (text: string | undefined) => void,
): Promise<{ offset: number; read: number }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    let pending = Buffer.alloc(0);
    let at = offset;
    let read = 0;
    let tooLong = false;
    while (read < budget) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, budget - read), at + pending.length);
      if (bytesRead === 0) break;
      read += bytesRead;
      let data = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
      let nl = data.indexOf(10);
      while (nl >= 0) {
        // A line longer than the limit is skipped whole: its start was dropped already.
        line(tooLong ? undefined : data.subarray(0, nl).toString('utf8'));
        tooLong = false;
        at += nl + 1;
        data = data.subarray(nl + 1);
        nl = data.indexOf(10);
      }
      if (data.length > maxLine) {
        // Memory stays bounded: the rest of this line is skipped up to its newline.
        at += data.length;
        data = Buffer.alloc(0);
        tooLong = true;
      }
      pending = Buffer.from(data);
    }
    // A line still being written (no newline yet) is read again next time, from its start.
    return { offset: tooLong ? at + pending.length : at, read };
  } finally {
    await fh.close();
  }
}

/**
 * Reads what Caddy appended to `file` since `cursor`. Without a cursor (the first read) it only notes the end of
 * the file: what was logged before is not counted. When the file was rolled (another inode), the rest of the
 * rolled file is read first (found beside it by its inode), then any file rolled after it, then the new file from
 * its start; a file shorter than the cursor was truncated and is read from its start. A missing file reads
 * nothing and keeps the cursor (or starts one at inode 0, so that the file Caddy makes later is read whole).
 */
export async function readAccessLog(
  file: string,
  cursor: AccessLogCursor | undefined,
  limits: AccessLogLimits = {},
): Promise<AccessLogRead> {
  const maxBytes = limits.maxBytes ?? 16 * 2 ** 20;
  const maxLine = limits.maxLineBytes ?? CHUNK;
  const entries: AccessEntry[] = [];
  let skipped = 0;
  const onLine = (text: string | undefined) => {
    const e = text === undefined ? undefined : parseAccessLine(text);
    if (e) entries.push(e);
    else if (text?.trim() !== '') skipped++;
  };
  let st: { ino: number; size: number };
  try {
    st = await stat(file);
  } catch (err) {
    // Caddy creates the file at its first request: until then the log is empty (inode 0), so the first lines
    // it writes are counted.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { entries, cursor: cursor ?? { ino: 0, offset: 0 }, skipped };
    throw err;
  }
  if (!cursor) return { entries, cursor: { ino: st.ino, offset: st.size }, skipped };
  let budget = maxBytes;
  let offset = cursor.offset;
  if (cursor.ino !== st.ino) {
    // The files rolled since: the cursor's (from its offset) and every later one (whole), oldest first. When the
    // cursor's file is gone (the roller deleted it), every rolled file left is newer than it.
    const rolled: { path: string; ino: number; size: number }[] = [];
    for (const path of await rolledFiles(file)) {
      const rs = await stat(path).catch(() => undefined);
      if (rs) rolled.push({ path, ino: rs.ino, size: rs.size });
    }
    const from = rolled.findIndex((f) => f.ino === cursor.ino);
    for (const [i, f] of rolled.slice(Math.max(0, from)).entries()) {
      const start = i === 0 && from >= 0 ? cursor.offset : 0;
      const r = await readLines(f.path, start, budget, maxLine, onLine);
      budget -= r.read;
      // The budget ran out before this file's end: its rest next time.
      if (budget <= 0 && r.offset < f.size)
        return { entries, cursor: { ino: f.ino, offset: r.offset }, skipped };
    }
    offset = 0;
  } else if (st.size < offset) offset = 0;
  const r = await readLines(file, offset, budget, maxLine, onLine);
  return { entries, cursor: { ino: st.ino, offset: r.offset }, skipped };
}
