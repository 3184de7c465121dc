// The shell port, run as HIY will run it: real ssh with a generated key, $HOME and host keys kept across an upgrade.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { testInstance } from '../../support/podman.js';
import { ensurePortImage, PortTestbed, type RunningPort } from '../../support/portImages.js';
import { waitFor } from '../../support/ports.js';

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

/** Runs a command over real ssh as the port's user; the host key is recorded in the test's known_hosts. */
function ssh(port: RunningPort, command: string) {
  return execa(
    'ssh',
    [
      '-p',
      String(port.ports.get(22)),
      '-i',
      key,
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'ConnectTimeout=5',
      'alice@127.0.0.1',
      command,
    ],
    { reject: false, all: true },
  );
}

async function sshReady(port: RunningPort, command: string) {
  return waitFor(
    async () => {
      const r = await ssh(port, command);
      return r.exitCode === 0 ? r : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500, what: `ssh to ${port.name}` },
  );
}

test('ssh runs a command as the user with zsh; $HOME and the host key survive an upgrade; sshd is respawned', async () => {
  const image = await ensurePortImage('shell');
  const env = { USERNAME: 'alice', AUTHORIZED_KEYS: `# the tester\n${publicKey}\n`, LOGIN_SHELL: 'zsh' };
  const check = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], { env, volumes: VOLUMES });
  assert.equal(check.exitCode, 0, check.output);

  const v1 = await bed.run({ image, env, volumes: VOLUMES, publish: [22] });
  const first = await sshReady(v1, 'echo "$USER $SHELL $HOME $(id -u)" && echo kept >note.txt');
  assert.equal(first!.stdout.trim(), 'alice /bin/zsh /home/alice 1000');
  const knownHosts = await readFile(path.join(dir, 'known_hosts'), 'utf8');
  // Password login is off: only publickey is offered.
  const pw = await execa(
    'ssh',
    [
      '-p',
      String(v1.ports.get(22)),
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
  const killed = await bed.exec(v1, ['bash', '-c', 'kill "$(cat /run/hiy/sshd.pid)"']);
  assert.equal(killed.exitCode, 0, killed.output);
  await sshReady(v1, 'true');
  assert.match(await bed.logs(v1), /sshd exited with status .*; restarting it/);

  // The upgrade: a new image version replaces the container on the same volumes and host port.
  const next = await ensurePortImage('shell', '1.0.1-test');
  bed.ownImage(next);
  await bed.remove(v1);
  const v2 = await bed.run({ image: next, env, volumes: VOLUMES, publish: [22] }, v1);
  const again = await sshReady(v2, 'cat note.txt');
  assert.equal(again!.stdout.trim(), 'kept');
  // StrictHostKeyChecking=accept-new fails on a changed key; known_hosts is unchanged.
  assert.equal(await readFile(path.join(dir, 'known_hosts'), 'utf8'), knownHosts);
  // The root file system is read-only (the test bed runs every port so): all state is in the volumes.
  const ro = await execa('podman', ['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', v2.name]);
  assert.equal(ro.stdout.trim(), 'true');
});

test('check refuses an empty or malformed AUTHORIZED_KEYS and a bad LOGIN_SHELL, naming the variable', async () => {
  const image = await ensurePortImage('shell');
  const empty = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
    env: { USERNAME: 'alice', AUTHORIZED_KEYS: '' },
  });
  assert.notEqual(empty.exitCode, 0);
  assert.match(empty.output, /AUTHORIZED_KEYS is empty: it must hold at least one SSH public key/);

  const bad = await bed.hook(image, 'check', ['/usr/local/lib/hiy/check'], {
    env: { USERNAME: 'root', AUTHORIZED_KEYS: `${publicKey}\nssh-rsa not-a-key`, LOGIN_SHELL: 'fish' },
  });
  assert.notEqual(bad.exitCode, 0);
  assert.match(bad.output, /AUTHORIZED_KEYS line 2 is not an OpenSSH public key/);
  assert.match(bad.output, /USERNAME="root" is a system account/);
  assert.match(bad.output, /LOGIN_SHELL="fish" is not supported: it must be bash or zsh/);
  assert.ok(!bad.output.includes(publicKey.split(' ')[1]!), 'no key material in the output');
});
