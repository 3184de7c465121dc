// The ssh account users push to (`ssh://hiy@host/app`), in one of two modes. Rootless (HIY runs as `hiy`): the
// keys are in hiy's own authorized_keys, each forced to `WRAPPER USER`, which runs `hiy git-shell USER` as hiy
// itself. Root (HIY runs as root): an unprivileged system user whose every key runs `sudo -n WRAPPER USER`, a
// root-owned WRAPPER, and a sudoers rule that allows exactly that. This file renders those files. Pure.
import { AuthorizedKeysError, shellQuote } from './authorizedKeys.js';

/** `rootless`: the account is the user HIY runs as, no sudo. `root`: HIY runs as root, reached through sudo. */
export type AccountMode = 'rootless' | 'root';

/** How the account is set up; recorded in the data directory so that every apply keeps its keys current. */
export interface SshAccount {
  /** Absent in records written before rootless mode existed: those are `root`. */
  mode?: AccountMode;
  /** The system user pushes log in as (`hiy`). */
  user: string;
  /** Its home directory (holds .ssh/authorized_keys; root-owned in root mode, the user's own rootless). */
  home: string;
  /** The authorized_keys file HIY keeps current: `<home>/.ssh/authorized_keys`. */
  authorizedKeysFile: string;
  /** The script the keys run: HIY's settings and `hiy git-shell "$1"`, nothing else (root's in root mode). */
  wrapper: string;
  /** Root mode: the sudoers drop-in that lets `user` run `wrapper` as root without a password. */
  sudoers?: string;
  /** Root mode: absolute path of sudo. */
  sudo?: string;
  /** Rootless: the directories `hiy ssh-account` created (removed again by --remove when empty), deepest last. */
  createdDirectories?: string[];
}

export function accountMode(account: Pick<SshAccount, 'mode'>): AccountMode {
  return account.mode ?? 'root';
}

/**
 * The mode `hiy ssh-account` uses: the one asked for, else the one of the user HIY runs as, which owns the data
 * directory: root's (and this process is root in the box's own user namespace) is `root`; anything else,
 * including a process inside `podman unshare` (uid 0 of a user namespace), is `rootless`.
 */
export function chooseAccountMode(opts: {
  requested: AccountMode | undefined;
  privileged: boolean;
  dataDirOwner: number | undefined;
}): AccountMode {
  if (opts.requested !== undefined) return opts.requested;
  return opts.privileged && (opts.dataDirOwner ?? 0) === 0 ? 'root' : 'rootless';
}

/** Shells that cannot run a forced command (sshd runs it as `SHELL -c COMMAND`). */
export const NO_LOGIN_SHELL = /(nologin|\/false)$/;

/** A system account name HIY accepts (useradd's own rule, without the trailing `$`). */
export const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Paths written into sudoers and forced commands: absolute, plain characters, no `..`. */
export function isPlainPath(path: string): boolean {
  return /^\/[A-Za-z0-9/_.+-]*$/.test(path) && !path.split('/').includes('..');
}

/**
 * The forced command of a HIY user's keys under the account: the wrapper (through sudo in root mode), which
 * carries the settings, so the line itself holds no setting. sshd runs it with the account's shell (`/bin/sh -c`).
 */
export function accountForcedCommand(
  account: Pick<SshAccount, 'mode' | 'sudo' | 'wrapper'>,
  user: string,
): string {
  const words =
    accountMode(account) === 'rootless'
      ? [account.wrapper, user]
      : [account.sudo ?? '/usr/bin/sudo', '-n', account.wrapper, user];
  return words.map(shellQuote).join(' ');
}

/** Variables of the ssh session that the wrapper passes on to git-shell (sudo keeps them, see renderSudoers). */
export const SESSION_VARIABLES = ['SSH_ORIGINAL_COMMAND', 'SSH_CLIENT'] as const;

/**
 * The wrapper: accepts exactly one argument that is a user name, and runs `hiy git-shell USER` with an
 * environment made from scratch: a fixed PATH and HOME (root's, or the rootless account's passwd home, where
 * its Podman finds its store), the session's SSH_ORIGINAL_COMMAND and SSH_CLIENT, and HIY's settings (`env`;
 * rootless also the daemon's XDG_RUNTIME_DIR, so pushes share its Podman runtime directory). Nothing the account
 * sends can change where HIY's state or data are.
 */
export function renderWrapper(opts: {
  env: Record<string, string>;
  argv: string[];
  mode?: AccountMode;
  home?: string;
}): string {
  const rootless = opts.mode === 'rootless';
  const env: Record<string, string> = {
    ...opts.env,
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: rootless && opts.home ? opts.home : '/root',
  };
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new AuthorizedKeysError(`invalid variable name ${k}`);
    if (/[\0\n\r]/.test(v)) throw new AuthorizedKeysError(`${k} contains a line break or a NUL byte`);
  }
  const words = [
    '/usr/bin/env',
    '-i',
    ...SESSION_VARIABLES.map((v) => `${v}="\${${v}-}"`),
    ...Object.keys(env)
      .sort()
      .map((k) => shellQuote(`${k}=${env[k]}`)),
    ...opts.argv.map(shellQuote),
    'git-shell',
    '"$1"',
  ];
  return `#!/bin/sh
# Written by \`hiy ssh-account\`; run it again to rewrite this file (it holds HIY's settings).
# ${rootless ? "The keys of HIY's own user run it (no sudo)" : "The ssh account's keys run it through sudo"}; it runs \`hiy git-shell USER\` and nothing else.
set -eu
if [ "$#" -ne 1 ]; then echo "hiy: this account only serves git push and fetch" >&2; exit 1; fi
case "$1" in
  ''|-*|*[!a-z0-9-]*) echo "hiy: refused: not a user name" >&2; exit 1 ;;
esac
exec ${words.join(' ')}
`;
}

/** The sudoers drop-in: `user` may run `wrapper` (any argument; the wrapper checks it) as root, nothing else. */
export function renderSudoers(account: Pick<SshAccount, 'user' | 'wrapper'>): string {
  return `# Written by \`hiy ssh-account\`: ${account.user} may run HIY's git-shell wrapper as root, and nothing else.
Defaults!${account.wrapper} env_keep += "${SESSION_VARIABLES.join(' ')}"
${account.user} ALL=(root) NOPASSWD: ${account.wrapper}
`;
}
