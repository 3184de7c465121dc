// Commits written in-process (objects.ts, refs.ts) checked by real git: the tree, modes, reflogs, and a
// branch that moved or is locked refused.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { CommitRefusedError, commitFiles } from '../../../../src/drivers/git/commit.js';
import { GitError } from '../../../../src/drivers/git/types.js';

const author = { name: 'Ann <x>', email: 'ann@example.com' };
const git = async (dir: string, args: string[]) =>
  (await execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@x', ...args])).stdout.trim();

describe('commitFiles without a git process', () => {
  let root: string;
  let work: string;
  let bare: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hiy-commit-'));
    work = join(root, 'work');
    await execa('git', ['init', '-q', '-b', 'main', work]);
    await writeFile(join(work, 'a.yaml'), 'a: 1\n');
    await writeFile(join(work, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await execa('mkdir', ['-p', join(work, 'apps'), join(work, 'apps-x')]);
    await writeFile(join(work, 'apps', 'blog.yaml'), 'b: 1\n');
    await writeFile(join(work, 'apps-x', 'z.yaml'), 'z: 1\n');
    await git(work, ['add', '-A']);
    await git(work, ['commit', '-qm', 'initial']);
    bare = join(root, 'state.git');
    await execa('git', ['clone', '-q', '--bare', work, bare]); // its refs are packed
    await git(bare, ['repack', '-adq']); // and its objects (read through isomorphic-git, not as loose files)
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('on a bare repository: the tree git would write, nested paths, deletions, modes kept', async () => {
    const head = await git(bare, ['rev-parse', 'main']);
    const commit = await commitFiles({
      dir: bare,
      branch: 'main',
      files: {
        'apps/blog.yaml': 'b: 2\n',
        'apps/new/deep.yaml': 'd: 1\n',
        'a.yaml': null,
        'run.sh': '#!/bin/sh\necho\n',
      },
      author,
      message: 'config: set B on app/blog',
      expectedHead: head,
    });
    assert.equal(await git(bare, ['rev-parse', 'main']), commit);
    assert.equal(await git(bare, ['rev-parse', `${commit}^`]), head);
    await git(bare, ['fsck', '--strict', '--no-dangling']);
    const files = await git(bare, ['ls-tree', '-r', commit]);
    assert.match(files, /^100755 blob \S+\trun\.sh$/m, 'the executable stays executable');
    assert.doesNotMatch(files, /\ta\.yaml$/m);
    assert.match(files, /\tapps\/new\/deep\.yaml$/m);
    assert.match(files, /\tapps-x\/z\.yaml$/m);
    assert.equal(await git(bare, ['show', `${commit}:apps/blog.yaml`]), 'b: 2');
    assert.equal(
      await git(bare, ['log', '-1', '--format=%an <%ae>|%cn|%s', commit]),
      'Ann x <ann@example.com>|Ann x|config: set B on app/blog',
    );
    // The trees are byte for byte what git writes for the same entries (apps-x sorts before apps/).
    const tree = await git(bare, ['rev-parse', `${commit}^{tree}`]);
    const listing = await git(bare, ['ls-tree', commit]);
    const remade = (await execa('git', ['-C', bare, 'mktree'], { input: `${listing}\n` })).stdout.trim();
    assert.equal(remade, tree);
    await assert.rejects(stat(join(bare, 'logs', 'refs', 'heads', 'main')), 'no reflog in a bare repository');
  });

  it('deleting a file that is not there adds no empty directory (git has no empty trees)', async () => {
    const head = await git(bare, ['rev-parse', 'main']);
    const commit = await commitFiles({
      dir: bare,
      branch: 'main',
      files: { 'nowhere/gone.yaml': null },
      author,
      message: 'config: nothing to delete',
      expectedHead: head,
    });
    assert.equal(
      await git(bare, ['rev-parse', `${commit}^{tree}`]),
      await git(bare, ['rev-parse', `${head}^{tree}`]),
    );
    await git(bare, ['fsck', '--strict', '--no-dangling']);
  });

  it('refuses when the branch moved since the edit read it, or another git holds its lock', async () => {
    const head = await git(bare, ['rev-parse', 'main']);
    const stale = await git(bare, ['rev-parse', 'main^']);
    await assert.rejects(
      commitFiles({
        dir: bare,
        branch: 'main',
        files: { x: 'y' },
        author,
        message: 'x',
        expectedHead: stale,
      }),
      (err: unknown) => err instanceof CommitRefusedError && err.code === 'STATE_REPO_MOVED',
    );
    await writeFile(join(bare, 'refs', 'heads', 'main.lock'), '');
    await assert.rejects(
      commitFiles({ dir: bare, branch: 'main', files: { x: 'y' }, author, message: 'x', expectedHead: head }),
      (err: unknown) => err instanceof GitError && /being changed by another git/.test(err.message),
    );
    await rm(join(bare, 'refs', 'heads', 'main.lock'));
    assert.equal(await git(bare, ['rev-parse', 'main']), head, 'nothing moved');
  });

  it('on a working copy: the checkout follows, and both reflogs record the commit', async () => {
    const commit = await commitFiles({
      dir: work,
      branch: 'main',
      files: { 'apps/blog.yaml': 'b: 3\n' },
      author,
      message: 'config: set B on app/blog',
    });
    assert.equal(await git(work, ['rev-parse', 'HEAD']), commit);
    assert.equal(await git(work, ['status', '--porcelain']), '');
    assert.match(await git(work, ['reflog', '-1', 'main']), /hiy: config: set B on app\/blog/);
    assert.match(await git(work, ['reflog', '-1', 'HEAD']), /hiy: config: set B on app\/blog/);
    await git(work, ['fsck', '--strict', '--no-dangling']);
  });

  it('a SHA-256 repository is left to git (fast-import), with the same result', async () => {
    const dir = join(root, 'sha256');
    await execa('git', ['init', '-q', '--object-format=sha256', '-b', 'main', dir]);
    await writeFile(join(dir, 'a.yaml'), 'a: 1\n');
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-qm', 'initial']);
    const commit = await commitFiles({
      dir,
      branch: 'main',
      files: { 'a.yaml': 'a: 2\n' },
      author,
      message: 'm',
    });
    assert.equal(commit.length, 64);
    assert.equal(await git(dir, ['rev-parse', 'HEAD']), commit);
    assert.equal(await git(dir, ['show', 'HEAD:a.yaml']), 'a: 2');
    assert.equal(await git(dir, ['status', '--porcelain']), '');
  });
});
