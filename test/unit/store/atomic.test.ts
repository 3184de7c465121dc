// The one writer: exact content and mode, nothing left behind on failure, errors that name the path, durable
// appends and exclusive creation.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  appendFileDurable,
  createFileExclusive,
  FileWriteError,
  writeFileAtomic,
} from '../../../src/store/atomic.js';
import { AuditLog } from '../../../src/store/audit.js';
import { SecretStore } from '../../../src/store/secrets.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hiy-atomic-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

/** Asserts that `p` rejects with a FileWriteError naming `path`, and returns it. */
async function rejectsNaming(p: Promise<unknown>, path: string): Promise<FileWriteError> {
  const err = await p.then(
    () => assert.fail(`writing ${path} should have failed`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof FileWriteError, String(err));
  assert.equal(err.code, 'FILE_WRITE_FAILED');
  assert.equal(err.data.path, path);
  assert.ok(err.message.startsWith(`could not write ${path}: `), err.message);
  assert.ok(!err.message.includes('\n'), 'one line');
  return err;
}

describe('writeFileAtomic', () => {
  it('writes the exact content with the exact mode, whatever the umask, creating the directory', async () => {
    const dir = await tmp();
    const path = join(dir, 'a', 'b', 'file.json');
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(path, 'first\n', { mode: 0o644 });
      assert.equal(await readFile(path, 'utf8'), 'first\n');
      assert.equal(await modeOf(path), 0o644, 'the umask does not narrow the mode');
      await writeFileAtomic(path, new Uint8Array([0, 1, 2, 255]), { mode: 0o600 });
      assert.deepEqual([...(await readFile(path))], [0, 1, 2, 255]);
      assert.equal(await modeOf(path), 0o600);
      await writeFileAtomic(path, 'x'.repeat(200_000), { mode: 0o755 });
      assert.equal((await readFile(path, 'utf8')).length, 200_000);
      assert.equal(await modeOf(path), 0o755);
    } finally {
      process.umask(old);
    }
    assert.deepEqual(await readdir(join(dir, 'a', 'b')), ['file.json'], 'no temporary file left');
  });

  it('without a mode, a new file is 0644 (less the umask)', async () => {
    const path = join(await tmp(), 'plain');
    await writeFileAtomic(path, 'x');
    assert.equal((await modeOf(path)) & ~0o022, 0o644 & ~0o022);
  });

  it('a failure names the path, leaves no temporary file and the old content in place', async () => {
    const dir = await tmp();
    // The target is a directory: the temporary file is written, then the rename fails.
    const target = join(dir, 'target');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'kept');
    const err = await rejectsNaming(writeFileAtomic(target, 'new'), target);
    assert.equal(err.data.errno, 'EISDIR');
    assert.deepEqual(await readdir(dir), ['target'], 'no temporary file left');
    assert.equal(await readFile(join(target, 'inside'), 'utf8'), 'kept');
    // A parent that is a file: nothing can be created under it.
    await writeFile(join(dir, 'plain'), 'old');
    const under = join(dir, 'plain', 'x.json');
    const e2 = await rejectsNaming(writeFileAtomic(under, 'new'), under);
    assert.equal(e2.data.errno, 'EEXIST');
    assert.match(e2.message, /mkdir/, 'the reason says which step failed');
    assert.equal(await readFile(join(dir, 'plain'), 'utf8'), 'old');
  });

  it('says "no space left on device" for ENOSPC, in one line', () => {
    const cause = Object.assign(new Error("ENOSPC: no space left on device, write '/x.tmp'"), {
      code: 'ENOSPC',
    });
    const err = new FileWriteError('/data/status.json', cause);
    assert.equal(err.message, 'could not write /data/status.json: no space left on device');
    assert.deepEqual(err.data, { path: '/data/status.json', errno: 'ENOSPC' });
    assert.equal(err.cause, cause);
  });
});

describe('createFileExclusive', () => {
  it('creates the file whole with its mode once; later calls leave it as it is', async () => {
    const dir = await tmp();
    const path = join(dir, 'sub', 'salt');
    assert.equal(await createFileExclusive(path, 'one', { mode: 0o600 }), true);
    assert.equal(await createFileExclusive(path, 'two', { mode: 0o644 }), false);
    assert.equal(await readFile(path, 'utf8'), 'one');
    assert.equal(await modeOf(path), 0o600);
    assert.deepEqual(await readdir(join(dir, 'sub')), ['salt'], 'no temporary file left');
  });

  it('of many racing creators exactly one wins, and all see its content', async () => {
    const path = join(await tmp(), 'lock');
    const won = await Promise.all(Array.from({ length: 20 }, (_, i) => createFileExclusive(path, `w${i}`)));
    assert.equal(won.filter(Boolean).length, 1);
    assert.equal(await readFile(path, 'utf8'), `w${won.indexOf(true)}`);
  });

  it('a failure names the path', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'file'), '');
    const path = join(dir, 'file', 'x');
    await rejectsNaming(createFileExclusive(path, 'x'), path);
  });

  it('two secret stores opened at once agree on one salt', async () => {
    const dir = await tmp();
    const digests = await Promise.all(Array.from({ length: 8 }, () => new SecretStore(dir).digest('v')));
    assert.equal(new Set(digests).size, 1);
    assert.equal((await readFile(join(dir, 'secrets', 'salt'), 'utf8')).length, 64);
  });
});

describe('appendFileDurable', () => {
  it('appends records in order, creating the file with its mode', async () => {
    const dir = await tmp();
    const path = join(dir, 'logs', 'audit.log');
    await appendFileDurable(path, 'a\n', { mode: 0o600 });
    await appendFileDurable(path, 'b\n', { mode: 0o644 });
    await Promise.all(['c\n', 'd\n', 'e\n'].map((t) => appendFileDurable(path, t)));
    const lines = (await readFile(path, 'utf8')).split('\n');
    assert.deepEqual(lines.slice(0, 2), ['a', 'b']);
    assert.deepEqual(lines.slice(2).sort(), ['', 'c', 'd', 'e']);
    assert.equal(await modeOf(path), 0o600, 'the mode of the first append stays');
  });

  it('a failure names the path', async () => {
    const dir = await tmp();
    const err = await rejectsNaming(appendFileDurable(dir, 'x\n'), dir);
    assert.equal(err.data.errno, 'EISDIR');
  });

  it('the audit log is 0600 and skips a line torn by a crash or a full disk', async () => {
    const dir = await tmp();
    const log = new AuditLog(dir);
    await log.append({ actor: 'alice', via: 'cli', action: 'token.create', result: 'ok' });
    await writeFile(log.path, '{"actor":"bo', { flag: 'a' });
    assert.equal(await modeOf(log.path), 0o600);
    assert.deepEqual(
      (await log.read()).map((e) => e.actor),
      ['alice'],
    );
  });
});
