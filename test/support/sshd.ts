// A throwaway real OpenSSH sshd on a random loopback port, with its own host key, config and authorized_keys,
// plus client keys and a git that pushes through it. As root the account is root (every key forced) or `user`; an
// unprivileged test's sshd runs as that user and lets in only that user (sshd cannot switch users then).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { freePort, waitFor } from './ports.js';

/** HIY_SELF for tests: node with tsx's loader (absolute: sshd starts commands in $HOME) and test/support/hiy-cli.ts. */
export function testSelfCommand(): string[] {
  return [
    process.execPath,
    '--import',
    import.meta.resolve('tsx'),
    fileURLToPath(new URL('./hiy-cli.ts', import.meta.url)),
  ];
}

export interface ClientKey {
  name: string;
  privateKey: string;
  publicKey: string;
}

/** A User resource (YAML) with one key and its grants. */
export function userYaml(
  name: string,
  key: ClientKey,
  grants: { app: string; role: string }[] = [{ app: 'site', role: 'deploy' }],
): string {
  return `apiVersion: hiy/v1
kind: User
metadata:
  name: ${name}
spec:
  sshKeys:
    - ${key.publicKey}
  grants:
${grants.map((g) => `    - app: ${JSON.stringify(g.app)}\n      role: ${g.role}`).join('\n')}
`;
}

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunningSshd {
  port: number;
  dir: string;
  /** The AuthorizedKeysFile sshd reads (write it with `hiy authorized-keys --out`). */
  authorizedKeysFile: string;
  /** Creates an ed25519 key pair (no passphrase) in the sshd's temp dir. */
  newKey(name: string): Promise<ClientKey>;
  /** The host's public key as a known_hosts line for `[127.0.0.1]:PORT`. */
  knownHosts(): Promise<string>;
  /** `ssh://ACCOUNT@127.0.0.1:PORT/NAME`. */
  url(repo: string): string;
  /** GIT_SSH_COMMAND for a key: no agent, no config, no known_hosts. */
  gitSsh(key: ClientKey): string;
  /** Runs git with GIT_SSH_COMMAND for `key`; never throws on a non-zero exit. */
  git(key: ClientKey, cwd: string, args: string[]): Promise<CommandRun>;
  /** Runs ssh as ACCOUNT@127.0.0.1 with `key` and extra arguments (e.g. a remote command). */
  ssh(key: ClientKey, args: string[]): Promise<CommandRun>;
  log(): Promise<string>;
  stop(): Promise<void>;
}

function sshOptions(key: ClientKey): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    key.privateKey,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
  ];
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export interface SshdOptions {
  /** The account keys log in as (default root, which must then have a forced command). */
  user?: string;
  /** sshd's AuthorizedKeysFile (default a file in the sshd's temp dir, `authorizedKeysFile`). */
  authorizedKeysFile?: string;
  /** An AuthorizedKeysCommand run as root instead of any file (root-owned, in root-owned directories). */
  authorizedKeysCommand?: string;
  /** Serves the sftp subsystem (internal-sftp), for a key forced to `command="internal-sftp"`. */
  sftp?: boolean;
}

/** Starts `sshd -D -e` as root on 127.0.0.1:<free port>; stop() kills it and removes its directory. */
export async function startSshd(opts: SshdOptions = {}): Promise<RunningSshd> {
  const account = opts.user ?? 'root';
  const dir = await mkdtemp(join(tmpdir(), 'hiy-sshd-'));
  const port = await freePort();
  const hostKey = join(dir, 'host_ed25519');
  const authorizedKeysFile = join(dir, 'authorized_keys');
  const logFile = join(dir, 'sshd.log');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await writeFile(authorizedKeysFile, '', { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    `# HIY test sshd (test/support/sshd.ts)
Port ${port}
ListenAddress 127.0.0.1
HostKey ${hostKey}
PidFile ${join(dir, 'sshd.pid')}
${
  opts.authorizedKeysCommand
    ? `AuthorizedKeysFile none\nAuthorizedKeysCommand ${opts.authorizedKeysCommand}\nAuthorizedKeysCommandUser root`
    : `AuthorizedKeysFile ${opts.authorizedKeysFile ?? authorizedKeysFile}`
}
StrictModes ${opts.user ? 'yes' : 'no'}
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin forced-commands-only
AllowUsers ${account}
LogLevel VERBOSE
${opts.sftp ? 'Subsystem sftp internal-sftp\n' : ''}`,
  );
  // Debian's sshd as root refuses to start without its privilege separation directory (made by the service
  // normally); unprivileged, it does not chroot and needs none.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config, '-E', logFile], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}`);
        return portOpen(port);
      },
      { timeoutMs: 10_000, intervalMs: 50, what: `sshd on 127.0.0.1:${port}` },
    );
  } catch (err) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await stop();
    throw new Error(`sshd did not start: ${log}`, { cause: err });
  }
  const sshd: RunningSshd = {
    port,
    dir,
    authorizedKeysFile,
    async newKey(name) {
      const privateKey = join(dir, `id_${name}`);
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', privateKey]);
      return { name, privateKey, publicKey: (await readFile(`${privateKey}.pub`, 'utf8')).trim() };
    },
    async knownHosts() {
      const [type, key] = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
      return `[127.0.0.1]:${port} ${type} ${key}`;
    },
    url: (repo) => `ssh://${account}@127.0.0.1:${port}/${repo}`,
    gitSsh: (key) => ['ssh', ...sshOptions(key)].join(' '),
    async git(key, cwd, args) {
      const r = await execa(
        'git',
        ['-C', cwd, '-c', 'user.name=test', '-c', 'user.email=test@hiy.invalid', ...args],
        {
          reject: false,
          env: { GIT_SSH_COMMAND: sshd.gitSsh(key), GIT_TERMINAL_PROMPT: '0' },
        },
      );
      return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    async ssh(key, args) {
      const r = await execa(
        'ssh',
        [...sshOptions(key), '-p', String(port), `${account}@127.0.0.1`, ...args],
        {
          reject: false,
          stdin: 'ignore',
          timeout: 60_000,
        },
      );
      return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    log: () => readFile(logFile, 'utf8').catch(() => ''),
    stop,
  };
  return sshd;
}
