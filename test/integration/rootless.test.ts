// The rootless box: scripts/rootless.sh sets up a user for rootless Podman (idempotent, every change printed, a
// non-empty vfs store left alone) and `hiy doctor --json` run as that user reports the same checks. Needs root:
// it creates its own system users (hiy-rl-*) and removes them, their stores and their sub-ids at the end.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { DoctorReport } from '../../src/model/host.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/podman.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = `${REPO}scripts/rootless.sh`;
const CLI = `${REPO}test/support/hiy-cli.ts`;
const suffix = `${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
const created: string[] = [];

const home = (user: string) => `/home/${user}`;

/** Runs argv as `user` in its own environment, from the repository (where node finds tsx). */
function asUser(user: string, argv: string[], opts: { input?: string } = {}) {
  return execa(
    'runuser',
    [
      '-u',
      user,
      '--',
      'env',
      '-i',
      'PATH=/usr/local/bin:/usr/bin:/bin',
      `HOME=${home(user)}`,
      `USER=${user}`,
      ...argv,
    ],
    { cwd: REPO, reject: false, ...(opts.input !== undefined ? { input: opts.input } : {}) },
  );
}

function setup(user: string) {
  return execa('bash', [SCRIPT], { env: { ...process.env, HIY_USER: user }, reject: false, all: true });
}

async function doctor(user: string): Promise<{ code: number; report: DoctorReport }> {
  const r = await asUser(user, [process.execPath, '--import', 'tsx', CLI, 'doctor', '--json']);
  assert.doesNotThrow(() => JSON.parse(String(r.stdout)), `doctor printed no JSON: ${r.stdout} ${r.stderr}`);
  return { code: r.exitCode ?? -1, report: JSON.parse(String(r.stdout)) as DoctorReport };
}

const check = (r: DoctorReport, name: string) => r.checks.find((c) => c.name === name);
const subIdLines = async (user: string) =>
  (await readFile('/etc/subuid', 'utf8')).split('\n').filter((l) => l.startsWith(`${user}:`));

after(async () => {
  for (const user of created) {
    const uid = (await execa('id', ['-u', user], { reject: false })).stdout.trim();
    if (!uid) continue;
    // The user's store holds files owned by its sub-uids: only its own Podman can remove them.
    await asUser(user, ['podman', 'system', 'reset', '--force']);
    // Its rootless pause process (catatonit), started by this test through the user's Podman.
    const pids = (await execa('pgrep', ['-u', uid], { reject: false })).stdout.split('\n').filter(Boolean);
    for (const pid of pids) await execa('kill', ['-KILL', pid], { reject: false });
    await execa('userdel', ['--remove', user], { reject: false });
    for (const file of ['/etc/subuid', '/etc/subgid']) {
      await execa('sed', ['-i', `/^${user}:/d`, file], { reject: false });
    }
  }
});

describe('scripts/rootless.sh and hiy doctor', { timeout: 600_000 }, () => {
  it('sets up a fresh user once, prints each change, changes nothing the second time, and doctor agrees', async () => {
    await ensureBusyboxImage();
    const user = `hiy-rl-a${suffix}`;
    created.push(user);
    const first = await setup(user);
    assert.equal(first.exitCode, 0, first.all);
    assert.match(first.all ?? '', new RegExp(`CHANGED: created the system user ${user}`));
    assert.match(first.all ?? '', /CHANGED: gave .* the sub-uids and sub-gids \d+-\d+ \(65536\)/);
    assert.match(first.all ?? '', /CHANGED: wrote .*storage\.conf \(overlay/);
    assert.match(first.all ?? '', /runs containers \(storage: overlay\)/);
    assert.match(first.all ?? '', /port floor: net\.ipv4\.ip_unprivileged_port_start = \d+/);
    assert.equal((await subIdLines(user)).length, 1);

    const second = await setup(user);
    assert.equal(second.exitCode, 0, second.all);
    assert.doesNotMatch(second.all ?? '', /CHANGED/);
    assert.match(second.all ?? '', /no changes: the box was already set up/);
    assert.equal((await subIdLines(user)).length, 1, 'no second sub-id range');

    const { code, report } = await doctor(user);
    assert.equal(report.user, user);
    assert.equal(report.rootless, true);
    for (const name of ['sub-uids', 'sub-gids', 'storage', 'slirp4netns', '/dev/net/tun']) {
      assert.equal(check(report, name)?.ok, true, `${name}: ${JSON.stringify(check(report, name))}`);
    }
    // What the script left to the operator is what doctor reports as problems, each with a fix.
    const cgroupV1 = (await execa('stat', ['-fc', '%T', '/sys/fs/cgroup'])).stdout.trim() !== 'cgroup2fs';
    if (cgroupV1) {
      assert.equal(check(report, 'resource limits')?.ok, false);
      assert.match(second.all ?? '', /cgroup v1: resource limits/);
    }
    assert.equal(report.ok, report.problems.length === 0);
    assert.equal(code, report.ok ? 0 : 1);
    for (const p of report.problems) assert.ok(p.what && p.fix, JSON.stringify(p));

    // A host port under the floor is a validate error naming the sysctl for the unprivileged user, not for root.
    const state = await mkdtemp(join(tmpdir(), 'hiy-rl-state-'));
    try {
      await writeFile(
        join(state, 'mail.yaml'),
        'apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: mail\nspec:\n  image: localhost/hiy/busybox:latest\n  ports:\n    - { containerPort: 25, hostPort: 25 }\n',
      );
      await execa('chown', ['-R', `${user}:`, state]);
      const validate = (as?: string) => {
        const argv = [process.execPath, '--import', 'tsx', CLI, 'validate', '--worktree', '--json'];
        const env = [`HIY_STATE=${state}`, `HIY_DATA_DIR=${state}/.data`, 'HIY_INSTANCE=rl'];
        return as
          ? asUser(as, [...env, ...argv])
          : execa(argv[0]!, argv.slice(1), {
              env: { ...process.env, ...Object.fromEntries(env.map((e) => e.split('='))) },
              cwd: REPO,
              reject: false,
            });
      };
      const floor = Number((await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).trim());
      const unprivileged = await validate(user);
      const problems = (
        JSON.parse(String(unprivileged.stdout)) as {
          diagnostics: { severity: string; summary: string; path?: string }[];
        }
      ).diagnostics;
      const under = problems.filter(
        (d) => d.severity === 'error' && /ip_unprivileged_port_start/.test(d.summary),
      );
      if (floor > 25) {
        assert.equal(unprivileged.exitCode, 1, String(unprivileged.stdout));
        assert.equal(under.length, 1, JSON.stringify(problems));
        assert.equal(under[0]?.path, 'spec.ports[0].hostPort');
      } else assert.equal(under.length, 0);
      const privileged = await validate();
      assert.doesNotMatch(String(privileged.stdout), /ip_unprivileged_port_start/);
    } finally {
      await rm(state, { recursive: true, force: true });
    }

    // The busybox build's lock is per user: root's lock file (mode 644) in /tmp does not stop the user's build.
    const rootLock = await execa('bash', [
      '-c',
      'exec 9>"/tmp/hiy-busybox-build.$(id -u).lock"; stat -c %U:%a "/tmp/hiy-busybox-build.$(id -u).lock"',
    ]);
    assert.equal(rootLock.stdout, 'root:644');
    const legacy = '/tmp/hiy-busybox-build.lock';
    const madeLegacy = (await execa('test', ['-e', legacy], { reject: false })).exitCode !== 0;
    if (madeLegacy) await execa('install', ['-m', '644', '/dev/null', legacy]);
    try {
      const build = await asUser(user, [
        'env',
        'FORCE=1',
        'images/busybox/build.sh',
        'localhost/hiy-rl/busybox:test',
      ]);
      assert.equal(build.exitCode, 0, String(build.stderr));
      assert.equal(
        (await asUser(user, ['podman', 'image', 'exists', 'localhost/hiy-rl/busybox:test'])).exitCode,
        0,
      );
    } finally {
      if (madeLegacy) await execa('rm', ['-f', legacy]);
    }
  });

  it('reports a user without sub-ids or overlay, and never resets a vfs store that holds an image', async () => {
    const user = `hiy-rl-b${suffix}`;
    created.push(user);
    await execa('useradd', ['--system', '--user-group', '--create-home', '--home-dir', home(user), user]);
    // A vfs store, as rootless Podman makes one without a storage.conf, holding one image.
    const conf = `${home(user)}/.config/containers`;
    await asUser(user, ['mkdir', '-p', conf]);
    await asUser(user, ['tee', `${conf}/storage.conf`], { input: '[storage]\ndriver = "vfs"\n' });
    const image = await execa('podman', ['save', '--quiet', BUSYBOX_IMAGE], { encoding: 'buffer' });
    const loaded = await asUser(user, ['podman', 'load', '--quiet'], {
      input: image.stdout as unknown as string,
    });
    assert.equal(loaded.exitCode, 0, String(loaded.stderr));

    const before = await doctor(user);
    assert.equal(before.code, 1);
    assert.equal(before.report.ok, false);
    const subUids = before.report.problems.find((p) => p.what.startsWith('sub-uids'));
    assert.ok(subUids, JSON.stringify(before.report.problems));
    assert.match(subUids.fix, /usermod --add-subuids/);
    assert.ok(before.report.problems.some((p) => p.what === 'storage: vfs storage' && /overlay/.test(p.fix)));

    const r = await setup(user);
    assert.equal(r.exitCode, 0, r.all);
    assert.match(r.all ?? '', /CHANGED: gave .* the sub-uids/);
    {
      assert.match(r.all ?? '', /NOT CHANGED: .* store is vfs and holds images/);
      assert.match(r.all ?? '', /left to you:[\s\S]*podman system reset/);
      const images = await asUser(user, ['podman', 'images', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.match(String(images.stdout), /localhost\/hiy\/busybox:latest/, 'the image is still there');
      assert.equal(
        (await asUser(user, ['podman', 'info', '--format', '{{.Store.GraphDriverName}}'])).stdout.trim(),
        'vfs',
      );
    }
    const afterSetup = await doctor(user);
    assert.equal(check(afterSetup.report, 'sub-uids')?.ok, true);
  });
});
