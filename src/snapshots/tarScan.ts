// Reading a tar archive once, as it is written or after: its sha256, size and regular files, headers checked.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { message, VerificationFailure } from './manifest.js';

/** What one read of an archive found. */
export interface ArchiveScan {
  files: number;
  bytes: number;
  sha256: string;
}

/** How much new archive to read before starting its write-back (see scanWhileWritten). */
const SYNC_EVERY = 32 * 2 ** 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Follows `path` while `writing` (the export) runs, as `tail -f` would: hashes and parses each new byte, and
 * stops at the end of the file once the writer is done. The writer's error wins over a parse error.
 */
export async function scanWhileWritten(path: string, writing: Promise<void>): Promise<ArchiveScan> {
  let finished = false;
  let writeError: unknown;
  const written = writing.then(
    () => {
      finished = true;
    },
    (err: unknown) => {
      finished = true;
      writeError = err ?? new Error('export failed');
    },
  );
  const hash = createHash('sha256');
  const reader = new TarHeaderReader();
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  let synced = 0;
  let syncing: Promise<void> | undefined;
  let scanError: unknown;
  try {
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    while (!handle) {
      const done = finished;
      handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT' || done) throw err;
        return undefined;
      });
      if (!handle) await Promise.race([written, sleep(5)]);
    }
    try {
      for (;;) {
        const done = finished;
        const { bytesRead } = await handle.read(buf, 0, buf.length, bytes);
        if (bytesRead > 0) {
          const chunk = buf.subarray(0, bytesRead);
          hash.update(chunk);
          reader.push(chunk);
          bytes += bytesRead;
          // Start writing back what is already there, so the final fsync has little left to flush.
          if (bytes - synced >= SYNC_EVERY && !syncing) {
            synced = bytes;
            const h = handle;
            syncing = h.datasync().finally(() => {
              syncing = undefined;
            });
          }
        } else if (done) {
          break;
        } else {
          await Promise.race([written, sleep(5)]);
        }
      }
    } finally {
      await syncing?.catch(() => {});
      await handle.close();
    }
  } catch (err) {
    scanError = err;
  }
  await written;
  if (writeError !== undefined) throw writeError;
  if (scanError instanceof VerificationFailure) throw scanError;
  if (scanError !== undefined)
    throw new VerificationFailure(`archive is not readable: ${message(scanError)}`);
  if (bytes === 0) throw new VerificationFailure('archive is empty (0 bytes)');
  reader.end();
  return { files: reader.files, bytes, sha256: hash.digest('hex') };
}

/** Reads a tar once: sha256 of all bytes, and its headers (checksums, sizes) up to the end-of-archive marker. */
export async function scanArchive(path: string): Promise<ArchiveScan> {
  const hash = createHash('sha256');
  const reader = new TarHeaderReader();
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      hash.update(buf);
      reader.push(buf);
      bytes += buf.length;
    }
  } catch (err) {
    if (err instanceof VerificationFailure) throw err;
    throw new VerificationFailure(`archive is not readable: ${message(err)}`);
  }
  if (bytes === 0) throw new VerificationFailure('archive is empty (0 bytes)');
  reader.end();
  return { files: reader.files, bytes, sha256: hash.digest('hex') };
}

const BLOCK = 512;
/** Type flags of entries that are regular files on disk: file, old-style file, contiguous, hard link, GNU sparse. */
const REGULAR_TYPES = new Set(['0', '\0', '7', '1', 'S']);

/**
 * A streaming tar header parser (ustar, GNU and pax): counts regular files without buffering file data, and
 * throws VerificationFailure on a bad header checksum or an archive that ends before its end-of-archive marker.
 */
class TarHeaderReader {
  files = 0;
  private readonly header = Buffer.alloc(BLOCK);
  private filled = 0;
  /** Bytes of entry data (with padding) still to skip. */
  private skip = 0;
  /** Collected data of a pax extended header, whose `size=` overrides the next header's size. */
  private pax: Buffer[] | undefined;
  private paxSize: number | undefined;
  private ended = false;
  private entries = 0;

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.pax?.push(Buffer.from(chunk.subarray(off, off + n))); // a copy: callers reuse their buffer
        this.skip -= n;
        off += n;
        if (this.skip === 0 && this.pax) this.endPax();
        continue;
      }
      const n = Math.min(BLOCK - this.filled, chunk.length - off);
      chunk.copy(this.header, this.filled, off, off + n);
      this.filled += n;
      off += n;
      if (this.filled === BLOCK) {
        this.filled = 0;
        this.onHeader();
      }
    }
  }

  end(): void {
    if (this.ended) return;
    const where = this.skip > 0 || this.filled > 0 ? 'in the middle of an entry' : 'without an end marker';
    throw new VerificationFailure(`archive is truncated: it ends ${where} after ${this.entries} entries`);
  }

  private onHeader(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    const stored = parseOctal(h.subarray(148, 156));
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
    if (stored !== sum) {
      throw new VerificationFailure(`archive has a corrupt header after ${this.entries} entries`);
    }
    this.entries++;
    const type = String.fromCharCode(h[156] ?? 0);
    const size = this.paxSize ?? parseSize(h.subarray(124, 136));
    this.paxSize = undefined;
    if (REGULAR_TYPES.has(type)) this.files++;
    // Link entries have no data whatever their size field says.
    const dataSize = type === '1' || type === '2' ? 0 : size;
    this.skip = Math.ceil(dataSize / BLOCK) * BLOCK;
    this.pax = type === 'x' ? [] : undefined;
    if (this.pax && this.skip === 0) this.endPax();
  }

  private endPax(): void {
    const text = Buffer.concat(this.pax ?? []).toString('utf8');
    this.pax = undefined;
    const match = /(?:^|\n)\d+ size=(\d+)\n/.exec(text);
    if (match) this.paxSize = Number(match[1]);
  }
}

function parseOctal(field: Buffer): number {
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(text)) return Number.NaN;
  return Number.parseInt(text, 8);
}

/** A size field: octal, or GNU base-256 (high bit set) for sizes of 8 GiB and more. */
function parseSize(field: Buffer): number {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let n = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const size = parseOctal(field);
  if (!Number.isFinite(size)) throw new VerificationFailure('archive has an entry with an unreadable size');
  return size;
}
