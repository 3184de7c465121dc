// The one way HIY writes a file in its data directory (and the few outside it): never half-written, never lost.
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HiyError } from '../model/errors.js';

let counter = 0;

/**
 * Writes a file atomically and durably: a temporary file in the same directory is written and fsynced, then
 * renamed over the target, then the directory is fsynced so the rename itself survives a power cut. A reader
 * sees the old content or the new one, never a mix. `mode` is set exactly (the umask does not narrow it) before
 * the file takes its name. An error names the path that could not be written (ENOSPC included).
 */
export async function writeFileAtomic(
  path: string,
  text: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.${++counter}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'wx', opts.mode ?? 0o644);
    try {
      await fh.writeFile(text);
      if (opts.mode !== undefined) await chmod(tmp, opts.mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(dir);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new FileWriteError(path, err);
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
    const reason =
      errno === 'ENOSPC' ? 'no space left on device' : ((cause as Error)?.message ?? String(cause));
    super('FILE_WRITE_FAILED', `could not write ${path}: ${reason}`, {
      data: { path, ...(errno && { errno }) },
      cause,
    });
    this.name = 'FileWriteError';
  }
}
