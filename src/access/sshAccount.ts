// The ssh account HIY keeps current: `hiy ssh-account` records it in `<dataDir>/ssh-account.json`, and every
// apply of the whole state rewrites its authorized_keys from the User resources when they changed.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { accountForcedCommand, accountMode, type SshAccount } from '../drivers/ssh/account.js';
import { renderAuthorizedKeys } from '../drivers/ssh/authorizedKeys.js';
import type { UserResource } from '../model/resources.js';
import { writeFileAtomic } from '../store/atomic.js';

function recordPath(dataDir: string): string {
  return join(dataDir, 'ssh-account.json');
}

/** The account set up by `hiy ssh-account`, or undefined. */
export async function readSshAccount(dataDir: string): Promise<SshAccount | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(dataDir), 'utf8')) as SshAccount;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writeSshAccount(dataDir: string, account: SshAccount): Promise<void> {
  await writeFileAtomic(recordPath(dataDir), `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 });
}

export async function forgetSshAccount(dataDir: string): Promise<void> {
  await rm(recordPath(dataDir), { force: true });
}

/** The account's authorized_keys: every key of every User forced to `WRAPPER USER` (root mode: through sudo). */
export function renderAccountKeys(account: SshAccount, users: UserResource[]): string {
  return renderAuthorizedKeys(users, (user) => accountForcedCommand(account, user));
}

/** Mode of the authorized_keys: root's file is 644 (sshd reads it as the account); the rootless user's own 600. */
export function authorizedKeysMode(account: SshAccount): number {
  return accountMode(account) === 'rootless' ? 0o600 : 0o644;
}

/**
 * Rewrites the account's authorized_keys when the Users changed; `none` when no account is set up. A removed
 * key stops working with the apply that removes its User.
 */
export async function syncAccountKeys(
  dataDir: string,
  users: UserResource[],
): Promise<'none' | 'unchanged' | 'written'> {
  const account = await readSshAccount(dataDir);
  if (!account) return 'none';
  const text = renderAccountKeys(account, users);
  const current = await readFile(account.authorizedKeysFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (current === text) return 'unchanged';
  await writeFileAtomic(account.authorizedKeysFile, text, { mode: authorizedKeysMode(account) });
  return 'written';
}
