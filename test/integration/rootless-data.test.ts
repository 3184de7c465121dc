// Unprivileged HIY: as the box's rootless user (`hiy`, made by scripts/rootless.sh; or this process when
// it is already unprivileged), a volume holding a 0700 directory of uid 1000 and a postgres-like 0700 directory
// of uid 999 — files the user cannot read on the host — is snapshotted, verified and restored with the real
// Podman driver, and comes back with the same content, modes and owners; and a resource limit the user's Podman
// cannot enforce is a validate warning exactly when `hiy doctor` says so.
import assert from 'node:assert/strict';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { DoctorReport } from '../../src/model/host.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage, testInstance } from '../support/podman.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = `${REPO}test/support/rootlessSnapshot.ts`;
const CLI = `${REPO}test/support/hiy-cli.ts`;
const USER = process.env.HIY_ROOTLESS_USER ?? 'hiy';
const asRoot = process.getuid?.() === 0;
const made: string[] = [];

interface Seen {
  uid: number;
  ok?: boolean;
  error?: string;
  directWalk: string;
  files: number;
  verified: boolean;
  before: string[];
  copy: string[];
  copyFiles: number;
  after: string[];
  preRestoreFiles?: number;
  snapshotMs: number;
  restoreMs: number;
}

/** Runs argv as the rootless user (root: through runuser, in a clean environment) or as this process. */
async function unprivileged(argv: string[], runtimeDir: string) {
  if (!asRoot) return execa(argv[0]!, argv.slice(1), { cwd: REPO, reject: false });
  const home = (await execa('getent', ['passwd', USER])).stdout.split(':')[5] ?? `/home/${USER}`;
  return execa(
    'runuser',
    [
      '-u',
      USER,
      '--',
      'env',
      '-i',
      'PATH=/usr/local/bin:/usr/bin:/bin',
      `HOME=${home}`,
      `USER=${USER}`,
      `XDG_RUNTIME_DIR=${runtimeDir}`,
      ...argv,
    ],
    { cwd: REPO, reject: false },
  );
}

after(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('unprivileged: snapshots of volumes written by non-root container users, and unenforceable limits', {
  timeout: 600_000,
}, () => {
  it('snapshot, verify and restore keep content, modes and owners of files the user cannot read', async () => {
    const work = await mkdtemp(join(tmpdir(), 'hiy-rootless-data-'));
    made.push(work);
    const dataDir = join(work, 'data');
    const runtimeDir = join(work, 'run');
    if (asRoot) {
      const id = await execa('id', ['-u', USER], { reject: false });
      assert.equal(id.exitCode, 0, `no user ${USER}: run scripts/rootless.sh (setup does) first`);
      await execa('install', ['-d', '-m', '0700', '-o', USER, '-g', USER, dataDir, runtimeDir]);
      await chown(work, Number(id.stdout), -1);
      await chmod(work, 0o700);
      // The user's own store needs the busybox image: copied from root's, as scripts/rootless.sh does.
      await ensureBusyboxImage();
      if ((await unprivileged(['podman', 'image', 'exists', BUSYBOX_IMAGE], runtimeDir)).exitCode !== 0) {
        const image = await execa('podman', ['save', '--quiet', BUSYBOX_IMAGE], { encoding: 'buffer' });
        const load = await execa(
          'runuser',
          ['-u', USER, '--', 'env', `XDG_RUNTIME_DIR=${runtimeDir}`, 'podman', 'load', '--quiet'],
          { input: image.stdout, reject: false, cwd: REPO },
        );
        assert.equal(load.exitCode, 0, String(load.stderr));
      }
    } else await ensureBusyboxImage();

    const r = await unprivileged(
      [process.execPath, '--import', 'tsx', SCRIPT, testInstance('rl'), dataDir],
      runtimeDir,
    );
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    const seen = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? '{}') as Seen;
    assert.equal(seen.error, undefined, seen.error);
    assert.notEqual(seen.uid, 0, 'the snapshot ran unprivileged');
    // The premise: without Podman's user namespace the walk fails (HIY's old walk failed here with EACCES).
    assert.equal(seen.directWalk, 'EACCES');

    assert.equal(seen.verified, true);
    assert.equal(seen.files, 5, JSON.stringify(seen.before));
    const expect = (path: string, what: RegExp) =>
      assert.ok(
        seen.before.some((l) => l.startsWith(`${path} `) && what.test(l)),
        `${path} ${what}: ${seen.before.join('\n')}`,
      );
    expect('./home', / dir 700 1000:1000$/);
    expect('./home/notes.txt', / 600 1000:1000 14$/);
    expect('./home/latest', /link->notes\.txt/);
    expect('./pgdata', / dir 700 999:999$/);
    expect('./pgdata/base/1', / 600 999:999 70000$/);
    expect('./README', / 644 0:0 5$/);

    // Into an empty volume, and back into the changed source (its content is saved first, then replaced).
    assert.deepEqual(seen.copy, seen.before);
    assert.equal(seen.copyFiles, 5);
    assert.equal(seen.preRestoreFiles, 5, 'the changed content was snapshotted before the restore');
    assert.deepEqual(seen.after, seen.before);
    process.stdout.write(
      `# rootless snapshot ${seen.snapshotMs} ms, restore into a used volume ${seen.restoreMs} ms\n`,
    );
  });

  it('a limit rootless Podman cannot enforce is a validate warning exactly when hiy doctor says so', async () => {
    const work = await mkdtemp(join(tmpdir(), 'hiy-rootless-limits-'));
    made.push(work);
    const state = join(work, 'state');
    const runtimeDir = join(work, 'run');
    await execa('install', ['-d', '-m', '0700', state, runtimeDir]);
    await writeFile(
      join(state, 'web.yaml'),
      'apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: web\nspec:\n  image: localhost/hiy/busybox:latest\n  resources:\n    memory: 64Mi\n',
    );
    if (asRoot) await execa('chown', ['-R', `${USER}:`, work]);
    const cli = (args: string[]) =>
      unprivileged(
        [
          'env',
          `HIY_STATE=${state}`,
          `HIY_DATA_DIR=${join(state, '.data')}`,
          `HIY_INSTANCE=${testInstance('rl')}`,
          process.execPath,
          '--import',
          'tsx',
          CLI,
          ...args,
        ],
        runtimeDir,
      );
    const doctor = JSON.parse(String((await cli(['doctor', '--json'])).stdout)) as DoctorReport;
    const limits = doctor.checks.find((c) => c.name === 'resource limits');
    assert.ok(limits, JSON.stringify(doctor.checks));
    const validate = await cli(['validate', '--worktree', '--json']);
    assert.equal(validate.exitCode, 0, `${validate.stdout}${validate.stderr}`);
    const { diagnostics } = JSON.parse(String(validate.stdout)) as {
      diagnostics: { severity: string; path?: string; summary: string }[];
    };
    const warned = diagnostics.filter((d) => d.severity === 'warning' && d.path === 'spec.resources.memory');
    if (limits.ok) assert.deepEqual(warned, []);
    else {
      assert.equal(warned.length, 1, JSON.stringify(diagnostics));
      assert.equal(warned[0]?.summary, `memory limit 64Mi is not enforced on this box (${limits.detail})`);
    }
  });
});
