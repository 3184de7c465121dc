// The one way HIY writes a file in its data directory (and the few outside it): never half-written, never lost.
import { chmod, link, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HiyError } from '../model/errors.js';

let counter = 0;

/** A name next to `path` for its temporary copy: same directory (so rename is atomic), unique per write. */
function tempNameOf(path: string): string {
  return `${path}.${process.pid}.${++counter}.tmp`;
}

/** Writes `text` to a new file `tmp` with exactly `mode`, and fsyncs it. */
async function writeTemp(tmp: string, text: string | Uint8Array, mode: number | undefined): Promise<void> {
  const fh = await open(tmp, 'wx', mode ?? 0o644);
  try {
    await fh.writeFile(text);
    if (mode !== undefined) await chmod(tmp, mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a file atomically and durably: a temporary file in the same directory is written and fsynced, then
 * renamed over the target, then the directory is fsynced so the rename itself survives a power cut. A reader
 * sees the old content or the new one, never a mix. `mode` is set exactly (the umask does not narrow it) before
 * the file takes its name. An error names the path that could not be written (ENOSPC included), and leaves
 * neither a temporary file nor a change behind.
 */
export async function writeFileAtomic(
  path: string,
  text: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = tempNameOf(path);
  try {
    await mkdir(dir, { recursive: true });
    await writeTemp(tmp, text, opts.mode);
    await rename(tmp, path);
    await syncDir(dir);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new FileWriteError(path, err);
  }
}

/**
 * Creates `path` with `text` unless it exists (O_EXCL semantics), atomically: the content is written and
 * fsynced under a temporary name, then hard-linked to `path`, which fails when `path` exists. So two processes
 * racing agree on one winner, and nobody ever reads a created-but-empty file (a crash between `open(wx)` and
 * `write` would leave one). Resolves true when this call created the file, false when it already existed.
 */
export async function createFileExclusive(
  path: string,
  text: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<boolean> {
  const dir = dirname(path);
  const tmp = tempNameOf(path);
  try {
    await mkdir(dir, { recursive: true });
    await writeTemp(tmp, text, opts.mode);
    try {
      await link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    await syncDir(dir);
    return true;
  } catch (err) {
    throw new FileWriteError(path, err);
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * Appends one record (e.g. a JSON line) and fsyncs it before resolving: once this returns, the record survives
 * a crash or a power cut (a new file's directory entry is fsynced too). The record is written with O_APPEND,
 * so writers in several processes never interleave. If the write fails (ENOSPC), the part of the record that
 * did land is cut off again when no other writer appended meanwhile, so the next record does not glue onto a
 * torn one; readers skip a torn line either way. `mode` applies when the file is created. An error names the
 * path.
 */
export async function appendFileDurable(
  path: string,
  text: string,
  opts: { mode?: number } = {},
): Promise<void> {
  const data = Buffer.from(text);
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    await mkdir(dirname(path), { recursive: true });
    fh = await open(path, 'a', opts.mode ?? 0o644);
    const before = (await fh.stat()).size;
    let written = 0;
    try {
      while (written < data.length) {
        const { bytesWritten } = await fh.write(data, written, data.length - written);
        written += bytesWritten;
      }
      await fh.datasync();
    } catch (err) {
      const now = await fh.stat().catch(() => undefined);
      if (written > 0 && now?.size === before + written) await fh.truncate(before).catch(() => undefined);
      throw err;
    }
    if (before === 0) await syncDir(dirname(path));
  } catch (err) {
    throw new FileWriteError(path, err);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** fsync of a directory: makes a rename or a new file in it durable. Best effort where the OS refuses it. */
export async function syncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on a directory (EINVAL); the rename is as durable as they make it.
  } finally {
    await fh?.close();
  }
}

/** A file HIY could not write; the message names the path and the reason (e.g. "no space left on device"). */
export class FileWriteError extends HiyError<{ path: string; errno?: string }> {
  constructor(path: string, cause: unknown) {
    const errno = (cause as NodeJS.ErrnoException)?.code;
    super('FILE_WRITE_FAILED', `could not write ${path}: ${reasonOf(cause)}`, {
      data: { path, ...(errno && { errno }) },
      cause,
    });
    this.name = 'FileWriteError';
  }
}

/** The reason of a failed file operation in words, without the path node puts in its message (we name it). */
function reasonOf(cause: unknown): string {
  const e = cause as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'EIO':
      return 'input/output error';
    case 'ENOTDIR':
      return 'a parent is not a directory';
    default:
      return e?.message ?? String(cause);
  }
}
