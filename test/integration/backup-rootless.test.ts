// Unprivileged offsite backups: as the box's rootless user (`hiy`; or this process when it is unprivileged), a
// volume holding a 0700 directory of uid 1000 — files the user cannot read on the host — is backed up with real
// restic, restored into itself and into a new volume, and drilled; it comes back with the same content, modes
// and owners (restic copies the snapshot's archive, Podman's import writes the volume).
import assert from 'node:assert/strict';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { BUSYBOX_IMAGE, ensureBusyboxImage, testInstance } from '../support/podman.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = `${REPO}test/support/rootlessBackup.ts`;
const USER = process.env.HIY_ROOTLESS_USER ?? 'hiy';
const asRoot = process.getuid?.() === 0;
const made: string[] = [];

/** Runs argv as the rootless user (root: through runuser, in a clean environment) or as this process. */
async function unprivileged(argv: string[], runtimeDir: string) {
  if (!asRoot) return execa(argv[0]!, argv.slice(1), { cwd: REPO, reject: false });
  const home = (await execa('getent', ['passwd', USER])).stdout.split(':')[5] ?? `/home/${USER}`;
  const env = ['PATH=/usr/local/bin:/usr/bin:/bin', `HOME=${home}`, `USER=${USER}`];
  return execa('runuser', ['-u', USER, '--', 'env', '-i', ...env, `XDG_RUNTIME_DIR=${runtimeDir}`, ...argv], {
    cwd: REPO,
    reject: false,
  });
}

after(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('unprivileged offsite backups of files owned by sub-uids', { timeout: 600_000 }, () => {
  it('backup now, restore (in place and --to-volume) and drill keep content, modes and owners', async () => {
    const work = await mkdtemp(join(tmpdir(), 'hiy-rootless-backup-'));
    made.push(work);
    const runtimeDir = join(work, 'run');
    if (asRoot) {
      const id = await execa('id', ['-u', USER], { reject: false });
      assert.equal(id.exitCode, 0, `no user ${USER}: run scripts/rootless.sh (setup does) first`);
      await execa('install', ['-d', '-m', '0700', '-o', USER, '-g', USER, runtimeDir]);
      await chown(work, Number(id.stdout), -1);
      await chmod(work, 0o700);
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
      [process.execPath, '--import', 'tsx', SCRIPT, testInstance('rb'), work],
      runtimeDir,
    );
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    const seen = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? '{}');
    assert.equal(seen.error, undefined, seen.error);
    assert.notEqual(seen.uid, 0, 'the backup ran unprivileged');
    // The premise: this process cannot read the 0700 directory of uid 1000 on the host.
    assert.equal(seen.directWalk, 'EACCES');
    assert.equal(seen.backedUp, 1, JSON.stringify(seen.failures));
    assert.ok(
      seen.before.some((l: string) => /^\.\/home dir 700 1000:1000$/.test(l)),
      seen.before.join('\n'),
    );
    assert.ok(seen.before.some((l: string) => /^\.\/home\/notes\.txt file:\w+ 600 1000:1000$/.test(l)));
    assert.equal(seen.restoredFiles, 2);
    assert.deepEqual(seen.after, seen.before, 'restored in place: the same files, modes and owners');
    assert.deepEqual(seen.copy, seen.before, 'restored into a new volume: the same');
    assert.equal(seen.drill.passed, true, JSON.stringify(seen.drill));
  });
});
