// loadDesiredState against real git repositories (working copy and bare), through IsomorphicGitReader.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatBytes, STATE_FILE_MAX_BYTES, STATE_REPO_MAX_BYTES } from '../../src/desired/limits.js';
import { loadDesiredFromFiles, loadDesiredState, loadWorktreeFiles } from '../../src/desired/load.js';
import { IsomorphicGitReader } from '../../src/drivers/git/isomorphic.js';
import { GitError } from '../../src/drivers/git/types.js';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  }).trim();
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const portYaml = (image: string) =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: greeter\nspec:\n  image: ${image}\n`;
const appYaml = (name: string, source: string) =>
  `apiVersion: hiy/v1\nkind: App\nmetadata:\n  name: ${name}\nspec:\n  source:\n    git: ${source}\n`;

describe('loading the desired state from git', () => {
  let root: string;
  let state: string;
  let bare: string;
  let srcHead: string;
  const settings = (stateRepo: string, branch = 'main') => ({ stateRepo, branch, instance: 't1' });

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'hiy-desired-'));
    const src = path.join(root, 'src', 'hello');
    mkdirSync(src, { recursive: true });
    git(src, 'init', '-q', '-b', 'main');
    write(path.join(src, 'Containerfile'), 'FROM scratch\n');
    git(src, 'add', '.');
    git(src, 'commit', '-q', '-m', 'hello');
    srcHead = git(src, 'rev-parse', 'main');

    state = path.join(root, 'state');
    mkdirSync(state);
    git(state, 'init', '-q', '-b', 'main');
    write(path.join(state, 'ports', 'greeter.yaml'), portYaml('localhost/greeter:1'));
    write(path.join(state, 'apps', 'hello.yml'), appYaml('hello', '../src/hello'));
    write(path.join(state, '.github', 'ci.yaml'), 'not: a resource\n');
    write(path.join(state, 'README.md'), '# state\n');
    git(state, 'add', '.');
    git(state, 'commit', '-q', '-m', 'state');
    // An uncommitted edit: never applied.
    write(path.join(state, 'ports', 'greeter.yaml'), portYaml('localhost/greeter:2'));

    bare = path.join(root, 'state.git');
    git(root, 'clone', '-q', '--bare', state, bare);
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  test('a working copy loads the committed state at the branch head', async () => {
    const reader = new IsomorphicGitReader();
    const result = await loadDesiredState({
      settings: settings(state),
      git: reader,
      blobTexts: reader.blobTexts,
    });
    assert.deepEqual(result.diagnostics, []);
    const s = result.state!;
    assert.equal(s.commit, git(state, 'rev-parse', 'main'));
    assert.deepEqual(
      s.resources.map((r) => [r.resource.kind, r.resource.metadata.name, r.file]),
      [
        ['App', 'hello', 'apps/hello.yml'],
        ['Port', 'greeter', 'ports/greeter.yaml'],
      ],
    );
    const greeter = s.workloads.find((w) => w.id === 'port/greeter')!;
    assert.equal(greeter.image, 'localhost/greeter:1');
    assert.equal(greeter.containerName, 'hiy-t1-greeter');
    assert.equal(reader.blobTexts.size, 2);
  });

  test('an App source relative to the state repo resolves to its branch head', async () => {
    const result = await loadDesiredState({ settings: settings(state), git: new IsomorphicGitReader() });
    const hello = result.state!.workloads.find((w) => w.id === 'app/hello')!;
    assert.deepEqual(hello.build, {
      gitDir: path.join(root, 'src', 'hello'),
      branch: 'main',
      commit: srcHead,
      context: '.',
    });
    assert.equal(hello.image, `localhost/hiy-t1/hello:${srcHead.slice(0, 12)}`);
  });

  test('a bare clone loads the same state', async () => {
    const fromWorkingCopy = await loadDesiredState({
      settings: settings(state),
      git: new IsomorphicGitReader(),
    });
    // The bare repo sits next to the working copy, so ../src/hello resolves the same way.
    const fromBare = await loadDesiredState({ settings: settings(bare), git: new IsomorphicGitReader() });
    assert.deepEqual(fromBare.diagnostics, []);
    assert.equal(fromBare.state!.commit, fromWorkingCopy.state!.commit);
    assert.deepEqual(fromBare.state!.workloads, fromWorkingCopy.state!.workloads);
  });

  test('a missing source repository is a diagnostic at the App source', async () => {
    const repo = path.join(root, 'missing-src');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    write(path.join(repo, 'apps', 'ghost.yaml'), appYaml('ghost', '/nonexistent/ghost'));
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'ghost');
    const result = await loadDesiredState({ settings: settings(repo), git: new IsomorphicGitReader() });
    assert.equal(result.state, undefined);
    assert.equal(result.diagnostics.length, 1);
    const [d] = result.diagnostics;
    assert.equal(d!.file, 'apps/ghost.yaml');
    assert.equal(d!.line, 7);
    assert.equal(d!.path, 'spec.source.git');
    assert.equal(d!.resource, 'app/ghost');
    assert.match(d!.summary, /\/nonexistent\/ghost does not exist or is not a git repository/);
  });

  test('a missing branch of the state repo is a GitError', async () => {
    await assert.rejects(
      loadDesiredState({ settings: settings(state, 'prod'), git: new IsomorphicGitReader() }),
      (err: unknown) => err instanceof GitError && err.message === `state repo ${state} has no branch prod`,
    );
  });

  test('a directory that is not a repository is a GitError', async () => {
    await assert.rejects(
      loadDesiredState({ settings: settings(path.join(root, 'src')), git: new IsomorphicGitReader() }),
      (err: unknown) =>
        err instanceof GitError && err.message === `not a git repository: ${path.join(root, 'src')}`,
    );
  });

  test('the working tree, uncommitted edits included, can be validated', async () => {
    const files = await loadWorktreeFiles(state);
    assert.deepEqual(
      files.map((f) => f.path),
      ['apps/hello.yml', 'ports/greeter.yaml'],
    );
    const result = await loadDesiredFromFiles(files, {
      settings: settings(state),
      git: new IsomorphicGitReader(),
    });
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.state!.commit, 'worktree');
    assert.equal(result.state!.workloads.find((w) => w.id === 'port/greeter')!.image, 'localhost/greeter:2');
  });

  test('source.repo without hosted repositories, and a missing source branch, are diagnostics', async () => {
    const text = [
      appYaml('hosted', '/unused').replace('git: /unused', 'repo: hosted'),
      `${appYaml('dev', '../src/hello')}    branch: dev\n`,
    ].join('---\n');
    const result = await loadDesiredFromFiles([{ path: 'apps.yaml', text }], {
      settings: settings(state),
      git: new IsomorphicGitReader(),
    });
    assert.equal(result.state, undefined);
    assert.deepEqual(
      result.diagnostics.map((d) => `${d.line}:${d.column} ${d.path} ${d.summary}`),
      [
        '7:11 spec.source.repo source.repo needs HIY-hosted repositories (not available yet)',
        `16:13 spec.source.branch source repository ${path.join(root, 'src', 'hello')} has no branch dev`,
      ],
    );
  });

  test('symlinks and submodules: skipped and said so, the same way by the commit and the working tree', async () => {
    const lib = path.join(root, 'lib');
    mkdirSync(lib);
    git(lib, 'init', '-q', '-b', 'main');
    write(path.join(lib, 'port.yaml'), portYaml('localhost/lib:1').replace('greeter', 'lib'));
    git(lib, 'add', '.');
    git(lib, 'commit', '-q', '-m', 'lib');
    const repo = path.join(root, 'linked');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    write(path.join(repo, 'ports', 'greeter.yaml'), portYaml('localhost/greeter:1'));
    write(path.join(repo, 'docs', 'notes.md'), '# notes\n');
    symlinkSync('greeter.yaml', path.join(repo, 'ports', 'alias.yaml'));
    symlinkSync('ports', path.join(repo, 'more'));
    symlinkSync('docs/notes.md', path.join(repo, 'README.md'));
    git(repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', lib, 'vendor/lib');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'links');
    const show = (r: Awaited<ReturnType<typeof loadDesiredState>>) => ({
      resources: r.state?.resources.map((x) => `${x.resource.kind}/${x.resource.metadata.name} ${x.file}`),
      diagnostics: r.diagnostics.map((d) => `${d.severity} ${d.file}: ${d.summary}`),
    });
    const expected = {
      resources: ['Port/greeter ports/greeter.yaml'],
      diagnostics: [
        'warning more: symlink not followed: HIY reads only the regular files committed in the state repo',
        'warning ports/alias.yaml: symlink not followed: HIY reads only the regular files committed in the state repo',
        "warning vendor/lib: submodule not read: its files are another repository's, not the state repo's",
      ],
    };
    const committed = await loadDesiredState({ settings: settings(repo), git: new IsomorphicGitReader() });
    assert.deepEqual(show(committed), expected);
    const worktree = await loadDesiredFromFiles(await loadWorktreeFiles(repo), {
      settings: settings(repo),
      git: new IsomorphicGitReader(),
    });
    assert.deepEqual(show(worktree), expected);
  });

  test('the size limits: the commit and the working tree refuse the same files, unparsed', async () => {
    const repo = path.join(root, 'big');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    write(path.join(repo, 'a-huge.yaml'), `${'x: '.repeat(STATE_FILE_MAX_BYTES / 3)}[\n`);
    const chunk = `# ${'y'.repeat(1000)}\n`.repeat(900);
    const fit = Math.floor(STATE_REPO_MAX_BYTES / chunk.length);
    for (let i = 0; i <= fit + 1; i++) write(path.join(repo, `f${String(i).padStart(2, '0')}.yaml`), chunk);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'big');
    const show = (r: Awaited<ReturnType<typeof loadDesiredState>>) =>
      r.diagnostics.map((d) => `${d.file}:${d.line ?? ''} ${d.summary}`);
    const expected = [
      'a-huge.yaml:1 the file has 1,048,577 bytes (1 MiB); a state file may have at most 1,048,576 bytes (1 MiB)',
      `f${String(fit).padStart(2, '0')}.yaml: the state files take more than ${formatBytes(STATE_REPO_MAX_BYTES)}, the limit of a state repo; this file and the 1 after it were not read`,
    ];
    const committed = await loadDesiredState({ settings: settings(repo), git: new IsomorphicGitReader() });
    assert.deepEqual(show(committed), expected);
    const worktree = await loadDesiredFromFiles(await loadWorktreeFiles(repo), {
      settings: settings(repo),
      git: new IsomorphicGitReader(),
    });
    assert.deepEqual(show(worktree), expected);
  });

  test('an unchanged file is read from git once', async () => {
    const reader = new IsomorphicGitReader();
    let reads = 0;
    const counting = {
      resolveBranch: reader.resolveBranch.bind(reader),
      listFiles: reader.listFiles.bind(reader),
      readBlob: (dir: string, oid: string) => {
        reads++;
        return reader.readBlob(dir, oid);
      },
    };
    const parsed = new Map();
    const opts = { settings: settings(state), git: counting, blobTexts: reader.blobTexts, parsed };
    const first = await loadDesiredState(opts);
    const second = await loadDesiredState(opts);
    assert.equal(reads, 2);
    assert.equal(parsed.size, 2);
    assert.deepEqual(second.state, first.state);
  });
});
