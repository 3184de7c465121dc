// A volume's files on the host: the `podman unshare find` argv and its parsing, the direct walk, the mountpoint guard.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  checkMountpoint,
  countDirectly,
  emptyDirectly,
  parseFindCount,
  unshareCountArgv,
  unshareEmptyArgv,
} from '../../../../src/drivers/podman/volumeFiles.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('volume files', () => {
  it('builds find argv under podman unshare: no names printed, the directory itself kept', () => {
    assert.deepEqual(unshareCountArgv('/v/_data'), [
      'unshare',
      'find',
      '/v/_data',
      '-mindepth',
      '1',
      '-printf',
      '%d %y %s\\n',
    ]);
    assert.deepEqual(unshareEmptyArgv('/v/_data'), [
      'unshare',
      'find',
      '/v/_data',
      '-mindepth',
      '1',
      '-delete',
    ]);
  });

  it('refuses a mountpoint that is empty, relative or the root', () => {
    for (const bad of ['', 'data', '/', '-delete']) {
      assert.throws(() => checkMountpoint(bad), /not a usable volume mountpoint/);
      assert.throws(() => unshareEmptyArgv(bad), /not a usable volume mountpoint/);
    }
  });

  it('parses find output: regular files and bytes, top-level entries; refuses what it does not understand', () => {
    assert.deepEqual(parseFindCount('1 d 4096\n2 f 10\n2 l 9\n1 f 5\n3 f 0\n'), {
      files: 3,
      bytes: 15,
      entries: 2,
    });
    assert.deepEqual(parseFindCount(''), { files: 0, bytes: 0, entries: 0 });
    assert.throws(() => parseFindCount('find: permission denied\n'), /unexpected find output/);
  });

  it('walks and empties a directory directly, as find would count it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hiy-volfiles-'));
    dirs.push(root);
    await mkdir(join(root, 'a/b'), { recursive: true });
    await writeFile(join(root, 'a/b/f'), 'hello');
    await writeFile(join(root, 'top'), 'xy');
    await symlink('top', join(root, 'link'));
    await mkdir(join(root, 'empty'));
    assert.deepEqual(await countDirectly(root), { files: 2, bytes: 7, entries: 4 });
    await emptyDirectly(root);
    assert.deepEqual(await readdir(root), []);
    assert.deepEqual(await countDirectly(root), { files: 0, bytes: 0, entries: 0 });
  });
});
