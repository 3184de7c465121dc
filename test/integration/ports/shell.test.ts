// The shell port deployed by HIY: real ssh with a generated key, $HOME and host keys kept across an upgrade,
// a bad AUTHORIZED_KEYS stopped by the check hook while the old version keeps serving.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness } from '../../support/hiy.js';
import { testInstance } from '../../support/podman.js';
import { freeHostPorts, portYaml } from '../../support/portDeploy.js';
import { ensurePortImage, PortTestbed } from '../../support/portImages.js';
import { waitFor } from '../../support/ports.js';
import { throughLocalForward } from '../../support/sshForward.js';

const VOLUMES = { home: '/home', hostkeys: '/var/lib/hiy-ssh' };
const bed = new PortTestbed(testInstance('pshell'));
let dir: string;
let key: string;
let publicKey: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hiy-port-shell-'));
  key = path.join(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tester', '-f', key]);
  publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();
});

after(async () => {
  await bed.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** ssh's options and destination for the port's user; the host key is recorded in the test's known_hosts. */
function sshArgs(port: number, knownHosts = path.join(dir, 'known_hosts')): string[] {
  return [
    '-p',
    String(port),
    '-i',
    key,
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    'ConnectTimeout=5',
    'alice@127.0.0.1',
  ];
}

/** Runs a command over real ssh as the port's user. */
function ssh(port: number, command: string) {
  return execa('ssh', [...sshArgs(port), command], { reject: false, all: true });
}

async function sshReady(port: number, command: string) {
  return waitFor(
    async () => {
      const r = await ssh(port, command);
      return r.exitCode === 0 ? r : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500, what: `ssh to 127.0.0.1:${port}` },
  );
}

/** The host keys the server offers, as `ssh-keyscan` prints them (sorted, comments dropped). */
async function hostKeys(port: number): Promise<string> {
  const r = await execa('ssh-keyscan', ['-p', String(port), '-T', '5', '127.0.0.1'], { reject: false });
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .sort()
    .join('\n');
}

describe('the shell port deployed by HIY', () => {
  let h: Harness;
  let image: string;
  let next: string;
  let publish: Record<number, number>;
  let container: string;
  let env: Record<string, string>;
  let knownHosts: string;
  let keyscan: string;
  const yaml = (img: string, e: Record<string, string>) => portYaml('shell', { image: img, env: e, publish });

  before(async () => {
    h = await startHarness();
    image = await ensurePortImage('shell');
    publish = await freeHostPorts(22);
    container = `hiy-${h.instance}-shell`;
    env = { USERNAME: 'alice', AUTHORIZED_KEYS: `# the tester\n${publicKey}\n`, LOGIN_SHELL: 'zsh' };
  });
  after(async () => {
    await h.cleanup();
    // The upgrade's image was built for this test only; the declared version is shared and stays.
    if (next) await execa('podman', ['rmi', '-f', next], { reject: false });
  });

  it('hiy apply runs it: ssh -p runs a command as the user with zsh; password login is off; sshd is respawned', async () => {
    await h.commit({ 'ports/shell.yaml': yaml(image, env) });
    const apply = await h.hiy(['apply']);
    assert.equal(apply.code, 0, apply.err);
    assert.match(apply.out, /running the check hook of port shell 1\.1\.0/);

    const first = await sshReady(publish[22]!, 'echo "$USER $SHELL $HOME $(id -u)" && echo kept >note.txt');
    assert.equal(first!.stdout.trim(), 'alice /bin/zsh /home/alice 1000');
    knownHosts = await readFile(path.join(dir, 'known_hosts'), 'utf8');
    keyscan = await hostKeys(publish[22]!);
    assert.match(keyscan, /ssh-ed25519/);
    // Password login is off: only publickey is offered.
    const pw = await execa(
      'ssh',
      [
        '-p',
        String(publish[22]),
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'PreferredAuthentications=password',
        'alice@127.0.0.1',
        'true',
      ],
      { reject: false, all: true },
    );
    assert.notEqual(pw.exitCode, 0);
    assert.match(pw.all ?? '', /Permission denied \(publickey\)/);

    // sshd dies: the entrypoint's supervisor starts it again.
    const killed = await execa(
      'podman',
      ['exec', container, 'bash', '-c', 'kill "$(cat /run/hiy/sshd.pid)"'],
      {
        reject: false,
        all: true,
      },
    );
    assert.equal(killed.exitCode, 0, killed.all);
    await sshReady(publish[22]!, 'true');
    const logs = await h.hiy(['logs', 'shell']);
    assert.equal(logs.code, 0, logs.err);
    assert.match(logs.out + logs.err, /sshd exited with status .*; restarting it/);
  });

  it('an upgrade to a new image version keeps the file in $HOME and the host key', async () => {
    next = await ensurePortImage('shell', '1.1.1');
    await h.commit({ 'ports/shell.yaml': yaml(next, env) }, 'shell 1.1.1');
    const apply = await h.hiy(['apply']);
    assert.equal(apply.code, 0, apply.err);
    // Stop-first (it owns volumes and a host port), its volumes snapshotted before the new image starts.
    assert.match(apply.out, /healthy; snapshots /);
    const running = await execa('podman', ['inspect', '--format', '{{.ImageName}}', container]);
    assert.equal(running.stdout.trim(), next);

    const again = await sshReady(publish[22]!, 'cat note.txt');
    assert.equal(again!.stdout.trim(), 'kept');
    // StrictHostKeyChecking=accept-new fails on a changed key; known_hosts is unchanged.
    assert.equal(await readFile(path.join(dir, 'known_hosts'), 'utf8'), knownHosts);
    assert.equal(await hostKeys(publish[22]!), keyscan);
  });

  it("an empty AUTHORIZED_KEYS fails the deploy with the check hook's message; the running version keeps serving", async () => {
    await h.commit({ 'ports/shell.yaml': yaml(next, { ...env, AUTHORIZED_KEYS: '' }) }, 'no keys');
    const apply = await h.hiy(['apply']);
    assert.notEqual(apply.code, 0);
    const message = /AUTHORIZED_KEYS is empty: it must hold at least one SSH public key/;
    assert.match(
      apply.err,
      /the check hook of port shell 1\.1\.1 failed \(exit \d+\); the running version keeps serving/,
    );
    assert.match(apply.err, message);

    const status = await h.hiy(['status']);
    assert.match(status.out, message, status.out);
    const events = await h.hiy(['events']);
    assert.match(events.out, message, events.out);

    const running = await execa('podman', ['inspect', '--format', '{{.ImageName}}', container]);
    assert.equal(running.stdout.trim(), next);
    const still = await ssh(publish[22]!, 'cat note.txt');
    assert.equal(still.exitCode, 0, still.all);
    assert.equal(still.stdout.trim(), 'kept');
    assert.equal(await readFile(path.join(dir, 'known_hosts'), 'utf8'), knownHosts);
    const names = await execa('podman', [
      'ps',
      '-a',
      '--filter',
      `label=hiy.instance=${h.instance}`,
      '--format',
      '{{.Names}}',
    ]);
    assert.deepEqual(
      names.stdout.split('\n').filter(Boolean),
      [container],
      'no check container is left behind',
    );
  });
});

test('the image runs on a read-only root file system: all state is in the volumes', async () => {
  const image = await ensurePortImage('shell');
  const env = { USERNAME: 'alice', AUTHORIZED_KEYS: `${publicKey}\n`, LOGIN_SHELL: 'bash' };
  const run = await bed.run({ image, env, volumes: VOLUMES, publish: [22] });
  const r = await sshReady(run.ports.get(22)!, 'echo "$SHELL" && echo kept >note.txt && cat note.txt');
  assert.equal(r!.stdout.trim(), '/bin/bash\nkept');
  const ro = await execa('podman', ['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', run.name]);
  assert.equal(ro.stdout.trim(), 'true');
});

test('ssh -L through the login is refused unless ALLOW_TCP_FORWARDING=yes; remote forwarding is always refused', async () => {
  const image = await ensurePortImage('shell');
  const env = { USERNAME: 'alice', AUTHORIZED_KEYS: `${publicKey}\n` };
  // Both containers share the volumes, so the host key too: one known_hosts for both.
  const knownHosts = path.join(dir, 'known_hosts_forwarding');
  const remote = (port: number) =>
    execa(
      'ssh',
      [
        '-N',
        '-o',
        'ExitOnForwardFailure=yes',
        '-R',
        '127.0.0.1:0:127.0.0.1:22',
        ...sshArgs(port, knownHosts),
      ],
      { reject: false, all: true, timeout: 60_000 },
    );

  const locked = await bed.run({ image, env, volumes: VOLUMES, publish: [22] });
  const port = locked.ports.get(22)!;
  await sshReady(port, 'true');
  // The target is the container's own sshd: through a working forwarding it would greet with "SSH-2.0-".
  const refused = await throughLocalForward(sshArgs(port, knownHosts), '127.0.0.1:22');
  assert.equal(refused.received, '', 'nothing comes through a refused forwarding');
  assert.match(refused.log, /administratively prohibited/);
  const refusedRemote = await remote(port);
  assert.notEqual(refusedRemote.exitCode, 0);
  assert.match(refusedRemote.all ?? '', /remote port forwarding failed/);
  await bed.remove(locked);

  const open = await bed.run(
    { image, env: { ...env, ALLOW_TCP_FORWARDING: 'yes' }, volumes: VOLUMES, publish: [22] },
    locked,
  );
  await sshReady(port, 'true');
  const forwarded = await throughLocalForward(sshArgs(port, knownHosts), '127.0.0.1:22');
  assert.match(forwarded.received, /^SSH-2\.0-/, forwarded.log);
  const stillRemote = await remote(port);
  assert.notEqual(stillRemote.exitCode, 0, 'remote forwarding stays refused');
  assert.match(stillRemote.all ?? '', /remote port forwarding failed/);
  assert.match(await bed.logs(open), /local TCP forwarding is allowed \(ALLOW_TCP_FORWARDING=yes\)/);
});

test('check refuses an empty or malformed AUTHORIZED_KEYS and a bad LOGIN_SHELL, naming the variable', async () => {
  const image = await ensurePortImage('shell');
  const empty = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
    env: { USERNAME: 'alice', AUTHORIZED_KEYS: '' },
  });
  assert.notEqual(empty.exitCode, 0);
  assert.match(empty.output, /AUTHORIZED_KEYS is empty: it must hold at least one SSH public key/);

  const bad = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
    env: {
      USERNAME: 'root',
      AUTHORIZED_KEYS: `${publicKey}\nssh-rsa not-a-key`,
      LOGIN_SHELL: 'fish',
      ALLOW_TCP_FORWARDING: 'sometimes',
    },
  });
  assert.notEqual(bad.exitCode, 0);
  assert.match(bad.output, /AUTHORIZED_KEYS line 2 is not an OpenSSH public key/);
  assert.match(bad.output, /USERNAME="root" is a system account/);
  assert.match(bad.output, /LOGIN_SHELL="fish" is not supported: it must be bash or zsh/);
  assert.match(bad.output, /ALLOW_TCP_FORWARDING="sometimes" is not supported: it must be yes or no/);
  assert.ok(!bad.output.includes(publicKey.split(' ')[1]!), 'no key material in the output');
});
