// A full disk for real (a 64 KiB tmpfs as the data directory): every write fails naming its file, what was
// written before stays intact, no temporary file or torn record is left, and the CLI says it in one line.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { StoredStatus } from '../../src/model/status.js';
import { FileWriteError } from '../../src/store/atomic.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { hiyProcess } from '../support/process.js';

/** Asserts a rejection with a FileWriteError for `path` saying "no space left on device". */
async function rejectsNoSpace(p: Promise<unknown>, path: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof FileWriteError, String(err));
    assert.equal(err.message, `could not write ${path}: no space left on device`);
    assert.deepEqual(err.data, { path, errno: 'ENOSPC' });
    return true;
  });
}

/** Appends 4 KiB blocks to a filler file until the file system refuses one more (it is then full). */
async function fill(dir: string): Promise<void> {
  const block = Buffer.alloc(4096, 0x61);
  for (let i = 0; i < 1000; i++) {
    try {
      await writeFile(join(dir, 'filler'), block, { flag: 'a' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw err;
    }
  }
  assert.fail('the tmpfs never filled up');
}

const tempFiles = async (dir: string) =>
  (await readdir(dir, { recursive: true })).filter((n) => n.endsWith('.tmp'));

describe('a full disk under the data directory', () => {
  let root: string;
  let dataDir: string;
  let mounted = false;
  let stores: Stores;
  const status: StoredStatus = {
    lastAppliedCommit: 'a'.repeat(40),
    resources: { 'port/web': { image: 'x' } },
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hiy-full-'));
    dataDir = join(root, 'data');
    await mkdir(dataDir);
    // We run as root (CI too): a tiny tmpfs is a real ENOSPC, not a simulated one.
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dataDir]);
    mounted = true;
    stores = openStores(dataDir);
    // What HIY wrote while there was room.
    await stores.status.write(status);
    await stores.journal.write({ id: 'run#1', kind: 'run', name: 'hiy-web', phase: 'running' });
    await stores.events.append([{ type: 'reconcile.started', message: 'first' }]);
    await stores.secrets.set('db-pass', 'old-value');
  });

  after(async () => {
    if (mounted) await execa('umount', [dataDir]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('a whole-file write larger than the disk fails naming the file; the old content and no temp file stay', async () => {
    const big: StoredStatus = {
      resources: Object.fromEntries(
        Array.from({ length: 2000 }, (_, i) => [`port/web-${i}`, { image: `img-${i}`.padEnd(40, 'x') }]),
      ),
    };
    await rejectsNoSpace(stores.status.write(big), join(dataDir, 'status.json'));
    assert.deepEqual(await stores.status.read(), status);
    assert.deepEqual(await tempFiles(dataDir), []);
  });

  it('with the disk full, whole-file writes and appends fail naming the file and change nothing', async () => {
    await fill(dataDir);
    const journalBefore = await readFile(stores.journal.path, 'utf8');
    const eventsBefore = await readFile(stores.events.path, 'utf8');

    await rejectsNoSpace(stores.pins.write({}), join(dataDir, 'pins.json'));
    await rejectsNoSpace(stores.status.write({ resources: {} }), join(dataDir, 'status.json'));
    assert.deepEqual(await stores.status.read(), status);

    // A record bigger than what is left of the file's last page: part of it lands, then ENOSPC; that part
    // is cut off again, so the next record cannot glue onto a torn one.
    const long = 'x'.repeat(10_000);
    await rejectsNoSpace(
      stores.journal.write({ id: `run#${long}`, kind: 'run', name: 'hiy-web', phase: 'done' }),
      stores.journal.path,
    );
    assert.equal(await readFile(stores.journal.path, 'utf8'), journalBefore);
    assert.deepEqual(
      (await stores.journal.open()).map((e) => e.id),
      ['run#1'],
    );
    await rejectsNoSpace(
      stores.events.append([{ type: 'reconcile.finished', message: long }]),
      stores.events.path,
    );
    assert.equal(await readFile(stores.events.path, 'utf8'), eventsBefore);
    await rejectsNoSpace(
      stores.audit.append({ actor: 'alice', via: 'cli', action: 'x', result: 'ok', detail: long }),
      stores.audit.path,
    );
    assert.deepEqual(await tempFiles(dataDir), []);
  });

  it('the CLI prints the error as one line naming the file, no stack trace, exit 1; the old value stays', async () => {
    const env = { HIY_DATA_DIR: dataDir, HIY_LOG_LEVEL: 'silent' };
    const file = join(dataDir, 'secrets', 'values', 'db-pass');
    assert.ok((await stat(file)).isFile());

    const r = await hiyProcess(['secret', 'set', 'db-pass'], env, 'new-value-'.repeat(1000));
    assert.equal(r.code, 1, r.err);
    // All of stderr (execa drops the final newline): one line, no stack trace.
    assert.equal(r.err, `error: could not write ${file}: no space left on device`);
    assert.equal(r.out, '');

    const j = await hiyProcess(['secret', 'set', 'db-pass', '--json'], env, 'new-value');
    assert.equal(j.code, 1, j.err);
    // --json carries the error's code, message and structured data (HiyError), never a stack.
    assert.deepEqual(JSON.parse(j.out), {
      error: {
        code: 'FILE_WRITE_FAILED',
        message: `could not write ${file}: no space left on device`,
        data: { path: file, errno: 'ENOSPC' },
      },
    });
    assert.equal(j.err, '');

    assert.equal(await stores.secrets.value('db-pass'), 'old-value');
    assert.deepEqual(await tempFiles(dataDir), []);
  });
});
