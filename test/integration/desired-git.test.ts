// loadDesiredState against real git repositories (working copy and bare), through IsomorphicGitReader.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
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
