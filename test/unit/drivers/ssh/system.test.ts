// The ssh account's own directories (rootless mode): created with a mode and remembered, removed only when empty,
// and sshd's StrictModes judged before anything is written.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  ownDirectories,
  removeEmptyDirectories,
  strictModesProblem,
} from '../../../../src/drivers/ssh/system.js';

describe('ssh account directories', () => {
  const made: string[] = [];
  after(async () => {
    for (const d of made) await rm(d, { recursive: true, force: true });
  });
  const scratch = async () => {
    const d = await mkdtemp(join(tmpdir(), 'hiy-sshdirs-'));
    made.push(d);
    return d;
  };

  it('creates only the missing directories, outermost first, with the mode', async () => {
    const root = await scratch();
    await mkdir(join(root, 'home'));
    const created = await ownDirectories(join(root, 'home', '.local', 'libexec'), 0o700);
    assert.deepEqual(created, [join(root, 'home', '.local'), join(root, 'home', '.local', 'libexec')]);
    for (const d of created) assert.equal(((await stat(d)).mode & 0o777).toString(8), '700');
    assert.deepEqual(await ownDirectories(join(root, 'home', '.local'), 0o700), []);
  });

  it('removes the empty ones, innermost first, and keeps one that holds a file', async () => {
    const root = await scratch();
    const dirs = await ownDirectories(join(root, 'a', 'b', 'c'), 0o700);
    await writeFile(join(root, 'a', 'keep'), 'x');
    const removed = await removeEmptyDirectories(dirs);
    assert.deepEqual(removed, [join(root, 'a', 'b', 'c'), join(root, 'a', 'b')]);
    assert.equal(existsSync(join(root, 'a', 'keep')), true);
  });

  it('names a directory up to the home that is writable by others (sshd would ignore the keys)', async () => {
    const root = await scratch();
    const home = join(root, 'home');
    await mkdir(join(home, 'x'), { recursive: true });
    await chmod(home, 0o755);
    const uid = process.getuid?.() ?? 0;
    assert.equal(await strictModesProblem(join(home, 'x', '.ssh'), home, uid), undefined);
    await chmod(join(home, 'x'), 0o777);
    assert.match(
      (await strictModesProblem(join(home, 'x', '.ssh'), home, uid)) ?? '',
      /\/x is writable by group or others: sshd \(StrictModes\) ignores keys below it/,
    );
  });
});
