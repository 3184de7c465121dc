// The state-repo edit primitive against real git: commitFiles on bare and working copies, editStateRepo end to end.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { findResourceFile, setEnv } from '../../src/desired/edit.js';
import { FakeCaddy } from '../../src/drivers/caddy/fake.js';
import { CommitRefusedError, commitFiles, gitIdentity } from '../../src/drivers/git/commit.js';
import { IsomorphicGitReader } from '../../src/drivers/git/isomorphic.js';
import { FakePodman } from '../../src/drivers/podman/fake.js';
import type { Engine } from '../../src/engine/engine.js';
import { editStateRepo } from '../../src/engine/stateEdit.js';
import { StateRepoInvalidError } from '../../src/model/diagnostics.js';
import { DEFAULT_SETTINGS } from '../../src/model/settings.js';

const ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: ENV }).trim();
}

const portYaml = `# the greeter
apiVersion: hiy/v1
kind: Port
metadata:
  name: greeter
spec:
  image: localhost/greeter:1
  env:
    # chatty or not
    LOG_LEVEL: info
`;
const author = { name: 'Ada', email: 'ada@example.com' };

describe('editing the state repo', () => {
  let root: string;
  let work: string;
  let bare: string;

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'hiy-edit-'));
    work = path.join(root, 'work');
    mkdirSync(path.join(work, 'ports'), { recursive: true });
    git(work, 'init', '-q', '-b', 'main');
    git(work, 'config', 'user.name', 'Grace');
    git(work, 'config', 'user.email', 'grace@example.com');
    writeFileSync(path.join(work, 'ports', 'greeter.yaml'), portYaml);
    writeFileSync(path.join(work, 'README.md'), 'notes\n');
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', 'first');
    bare = path.join(root, 'state.git');
    git(root, 'clone', '-q', '--bare', work, bare);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('commitFiles on a bare repository moves only the branch, with the author and message', async () => {
    const head = git(bare, 'rev-parse', 'main');
    const commit = await commitFiles({
      dir: bare,
      branch: 'main',
      files: { 'ports/greeter.yaml': portYaml.replace('info', 'debug'), 'extra.yaml': '# new\n' },
      author,
      message: 'config: set LOG_LEVEL on port/greeter',
      expectedHead: head,
    });
    assert.equal(git(bare, 'rev-parse', 'main'), commit);
    assert.equal(
      git(bare, 'log', '-1', '--format=%an <%ae>|%cn|%s|%P', commit),
      `Ada <ada@example.com>|Ada|config: set LOG_LEVEL on port/greeter|${head}`,
    );
    assert.match(git(bare, 'show', `${commit}:ports/greeter.yaml`), /# chatty or not\n {4}LOG_LEVEL: debug/);
    assert.equal(git(bare, 'show', `${commit}:README.md`), 'notes');
    // Deleting a file, and a stale expected head refused without moving the branch.
    const c2 = await commitFiles({
      dir: bare,
      branch: 'main',
      files: { 'extra.yaml': null },
      author,
      message: 'rm',
    });
    assert.equal(git(bare, 'ls-tree', '--name-only', c2), 'README.md\nports');
    await assert.rejects(
      commitFiles({ dir: bare, branch: 'main', files: { a: 'b' }, author, message: 'x', expectedHead: head }),
      (err) => err instanceof CommitRefusedError && err.code === 'STATE_REPO_MOVED',
    );
    assert.equal(git(bare, 'rev-parse', 'main'), c2);
  });

  test('commitFiles on a working copy updates the checkout, and refuses uncommitted edits', async () => {
    const commit = await commitFiles({
      dir: work,
      branch: 'main',
      files: { 'ports/greeter.yaml': portYaml.replace('info', 'warn') },
      author,
      message: 'warn',
    });
    assert.equal(git(work, 'rev-parse', 'HEAD'), commit);
    assert.equal(git(work, 'status', '--porcelain'), '', 'index and files match the new commit');
    assert.match(readFileSync(path.join(work, 'ports', 'greeter.yaml'), 'utf8'), /LOG_LEVEL: warn/);

    writeFileSync(path.join(work, 'README.md'), 'edited by hand\n');
    await assert.rejects(
      commitFiles({ dir: work, branch: 'main', files: { a: 'b' }, author, message: 'x' }),
      (err) =>
        err instanceof CommitRefusedError &&
        err.code === 'STATE_REPO_DIRTY' &&
        /README\.md/.test(err.message),
    );
    assert.equal(git(work, 'rev-parse', 'HEAD'), commit);
    git(work, 'checkout', '--', 'README.md');
    assert.deepEqual(await gitIdentity(work), { name: 'Grace', email: 'grace@example.com' });
  });

  test('editStateRepo validates the whole state, plans the change and commits once', async () => {
    const dataDir = mkdtempSync(path.join(root, 'data-'));
    const podman = new FakePodman();
    podman.addImage('localhost/greeter:1');
    const engine: Engine = {
      settings: { ...DEFAULT_SETTINGS, stateRepo: bare, dataDir, instance: 'edit-test', tls: 'off' },
      podman,
      caddy: new FakeCaddy(),
      git: new IsomorphicGitReader(),
      prober: { httpGet: async () => 200, tcpConnect: async () => {} },
      exportCommit: async () => {},
      logger: pino({ level: 'silent' }),
    };
    const target = { kind: 'Port', name: 'greeter' };
    const edit = (vars: Record<string, string>) => (files: Map<string, string>) => {
      const file = findResourceFile(files, target);
      return { [file]: setEnv(files.get(file)!, target, vars) };
    };
    const before = git(bare, 'rev-parse', 'main');
    const dry = await editStateRepo(engine, { edit: edit({ A: '1' }), author, message: 'dry', dryRun: true });
    assert.equal(dry.commit, undefined);
    assert.deepEqual(
      dry.plan.actions.map((a) => a.kind),
      ['container.create'],
    );
    assert.equal(git(bare, 'rev-parse', 'main'), before);

    const done = await editStateRepo(engine, {
      edit: edit({ A: '1' }),
      author,
      message: 'config: set A on port/greeter',
    });
    assert.equal(git(bare, 'rev-parse', 'main'), done.commit);
    assert.equal(done.plan.commit, done.commit);
    assert.equal(git(bare, 'rev-list', '--count', `${before}..main`), '1');
    assert.match(
      git(bare, 'show', 'main:ports/greeter.yaml'),
      /^# the greeter\n[\s\S]*# chatty or not\n {4}LOG_LEVEL: debug\n {4}A: "1"$/,
    );

    // An edit that makes the state invalid is refused with its diagnostics, and nothing is committed.
    await assert.rejects(
      editStateRepo(engine, {
        edit: () => ({
          'ports/bad.yaml': 'apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: Bad\nspec: {}\n',
        }),
        author,
        message: 'bad',
      }),
      (err) =>
        err instanceof StateRepoInvalidError && err.diagnostics.every((d) => d.file === 'ports/bad.yaml'),
    );
    assert.equal(git(bare, 'rev-parse', 'main'), done.commit);
  });
});
