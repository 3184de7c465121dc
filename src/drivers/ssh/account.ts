// The dedicated ssh account (`ssh://hiy@host/app`): an unprivileged system user whose every key runs
// `sudo -n WRAPPER USER`, where WRAPPER is a root-owned script with HIY's settings that may run only
// `hiy git-shell USER`, and a sudoers rule allows exactly that. This file renders the three files. Pure.
import { AuthorizedKeysError, shellQuote } from './authorizedKeys.js';

/** How the account is set up; recorded in the data directory so that every apply keeps its keys current. */
export interface SshAccount {
  /** The system user pushes log in as (`hiy`). */
  user: string;
  /** Its home directory (root-owned; holds .ssh/authorized_keys). */
  home: string;
  /** The authorized_keys file HIY keeps current: `<home>/.ssh/authorized_keys`. */
  authorizedKeysFile: string;
  /** The root-owned script that sudo runs: HIY's settings and `hiy git-shell "$1"`, nothing else. */
  wrapper: string;
  /** The sudoers drop-in that lets `user` run `wrapper` as root without a password. */
  sudoers: string;
  /** Absolute path of sudo. */
  sudo: string;
}

/** A system account name HIY accepts (useradd's own rule, without the trailing `$`). */
export const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Paths written into sudoers and forced commands: absolute, plain characters, no `..`. */
export function isPlainPath(path: string): boolean {
  return /^\/[A-Za-z0-9/_.+-]*$/.test(path) && !path.split('/').includes('..');
}

/**
 * The forced command of a HIY user's keys under the account: sudo runs the wrapper, which carries the settings,
 * so the line itself holds no setting. sshd runs it with the account's shell (`/bin/sh -c`).
 */
export function accountForcedCommand(account: Pick<SshAccount, 'sudo' | 'wrapper'>, user: string): string {
  return [account.sudo, '-n', account.wrapper, user].map(shellQuote).join(' ');
}

/** Variables of the ssh session that the wrapper passes on to git-shell (sudo keeps them, see renderSudoers). */
export const SESSION_VARIABLES = ['SSH_ORIGINAL_COMMAND', 'SSH_CLIENT'] as const;

/**
 * The wrapper: accepts exactly one argument that is a user name, and runs `hiy git-shell USER` with an
 * environment made from scratch: a fixed PATH and HOME, the session's SSH_ORIGINAL_COMMAND and SSH_CLIENT, and
 * HIY's settings. Nothing the account sends can change where HIY's state or data are.
 */
export function renderWrapper(opts: { env: Record<string, string>; argv: string[] }): string {
  const env: Record<string, string> = {
    ...opts.env,
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
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
# The ssh account's keys run it through sudo; it runs \`hiy git-shell USER\` and nothing else.
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
