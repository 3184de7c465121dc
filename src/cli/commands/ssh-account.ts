// `hiy ssh-account` (help and flags in ssh-account.meta.ts): sets up the dedicated, unprivileged ssh account users push to (`ssh://hiy@host/app`).

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  forgetSshAccount,
  readSshAccount,
  renderAccountKeys,
  syncAccountKeys,
  writeSshAccount,
} from '../../access/sshAccount.js';
import { loadAccess } from '../../access/stateAccess.js';
import {
  ACCOUNT_NAME,
  isPlainPath,
  renderSudoers,
  renderWrapper,
  type SshAccount,
} from '../../drivers/ssh/account.js';
import {
  checkSudoers,
  createSystemAccount,
  findProgram,
  lookupAccount,
  rootDirectory,
} from '../../drivers/ssh/system.js';
import { selfCommand, settingsEnv } from '../../push/self.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { type CommandContext, type CommandRun, flag, str } from '../command.js';
import { lastingSettingsEnv, UsageError } from '../config.js';
import { EXIT } from '../context.js';

/** Shells that cannot run a forced command (sshd runs it as `SHELL -c COMMAND`). */
const NO_LOGIN = /(nologin|\/false)$/;

function accountFrom(ctx: CommandContext, existingHome?: string): Omit<SshAccount, 'sudo'> {
  const user = str(ctx, 'user') ?? 'hiy';
  if (!ACCOUNT_NAME.test(user)) {
    throw new UsageError(`--user ${JSON.stringify(user)} is not a system account name (a-z, 0-9, _ and -)`);
  }
  const home = str(ctx, 'home') ?? existingHome ?? `/home/${user}`;
  const wrapper = str(ctx, 'wrapper') ?? `/usr/local/libexec/hiy/${user}-git-shell`;
  const sudoers = str(ctx, 'sudoers') ?? `/etc/sudoers.d/hiy-${user}`;
  for (const [name, path] of Object.entries({ home, wrapper, sudoers })) {
    if (!isPlainPath(path)) throw new UsageError(`--${name} must be an absolute path of plain characters`);
  }
  // sudo skips drop-ins whose name has a dot or ends in ~.
  const base = sudoers.split('/').pop() ?? '';
  if (sudoers.startsWith('/etc/sudoers.d/') && (base.includes('.') || base.endsWith('~'))) {
    throw new UsageError(`--sudoers ${sudoers}: sudo ignores files in /etc/sudoers.d whose name has a dot`);
  }
  return { user, home, authorizedKeysFile: join(home, '.ssh', 'authorized_keys'), wrapper, sudoers };
}

export const run: CommandRun = async (deps, settings, ctx) => {
  const dryRun = flag(ctx, 'dry-run');
  const say = (text: string) => {
    if (!ctx.json) deps.io.err(text);
  };
  if (!dryRun && process.getuid?.() !== 0) {
    throw new Error('hiy ssh-account creates a system user and a sudoers rule: run it as root');
  }
  if (flag(ctx, 'remove')) {
    const recorded = await readSshAccount(settings.dataDir);
    const account = recorded ?? { ...accountFrom(ctx), sudo: '' };
    const files = [account.authorizedKeysFile, account.sudoers, account.wrapper];
    if (!dryRun) {
      // The keys first: nothing can reach the bridge once they are gone.
      for (const f of files) await rm(f, { force: true });
      await forgetSshAccount(settings.dataDir);
    }
    if (ctx.json) deps.io.out(`${JSON.stringify({ removed: files, dryRun, user: account.user }, null, 2)}\n`);
    else
      say(
        `${dryRun ? 'would remove' : 'removed'} ${files.join(', ')}\nthe system user ${account.user} is kept: userdel ${account.user} removes it\n`,
      );
    return EXIT.ok;
  }

  const existing = await lookupAccount(str(ctx, 'user') ?? 'hiy');
  const base = accountFrom(ctx, existing?.home || undefined);
  if (existing?.uid === 0) throw new Error(`${base.user} has uid 0: the ssh account must be unprivileged`);
  if (existing && NO_LOGIN.test(existing.shell)) {
    throw new Error(
      `${base.user}'s shell is ${existing.shell}, which cannot run sshd's forced commands; run usermod -s /bin/sh ${base.user}`,
    );
  }
  const sudo = findProgram('sudo');
  if (!sudo && !dryRun) throw new Error('sudo is not installed (apt-get install sudo)');
  const account: SshAccount = { ...base, sudo: sudo ?? '/usr/bin/sudo' };
  const engine = await deps.makeEngine(settings);
  const access = await loadAccess(settings, engine.git);
  const users = [...access.users.values()];
  const wrapper = renderWrapper({
    env: lastingSettingsEnv(settingsEnv(settings, deps.io.env), deps.settingsEnvironment),
    argv: selfCommand(deps.io.env),
  });
  const sudoers = renderSudoers(account);
  const keys = renderAccountKeys(account, users);
  const keyCount = users.reduce((n, u) => n + u.spec.sshKeys.length, 0);
  if (dryRun) {
    if (ctx.json) {
      deps.io.out(`${JSON.stringify({ account, dryRun, files: { wrapper, sudoers, keys } }, null, 2)}\n`);
    } else {
      deps.io.out(
        `# ${account.wrapper} (root, 755)\n${wrapper}\n# ${account.sudoers} (root, 440)\n${sudoers}\n# ${account.authorizedKeysFile} (root, 644)\n${keys}`,
      );
    }
    return EXIT.ok;
  }
  // Everything is checked before anything changes.
  const complaint = await checkSudoers(sudoers);
  if (complaint) throw new Error(`visudo refused the sudoers rule: ${complaint}`);
  if (!existing) await createSystemAccount(account.user, account.home);
  await rootDirectory(account.home, 0o755);
  await rootDirectory(join(account.home, '.ssh'), 0o755);
  await writeFileAtomic(account.wrapper, wrapper, { mode: 0o755 });
  await writeFileAtomic(account.sudoers, sudoers, { mode: 0o440 });
  await writeSshAccount(settings.dataDir, account);
  await syncAccountKeys(settings.dataDir, users);
  const after = await lookupAccount(account.user);
  if (ctx.json) {
    deps.io.out(
      `${JSON.stringify({ account, created: !existing, uid: after?.uid, users: users.length, keys: keyCount }, null, 2)}\n`,
    );
  } else {
    say(`ssh account ${account.user} (uid ${after?.uid}) ${existing ? 'updated' : 'created'}:
${account.authorizedKeysFile}: ${keyCount} key(s) of ${users.length} user(s), rewritten by every apply
${account.wrapper}: runs hiy git-shell with this HIY's settings
${account.sudoers}: lets ${account.user} run only that, as root
Users push with: git remote add hiy ssh://${account.user}@<this host>/APP
If sshd_config has AllowUsers or AllowGroups, add ${account.user} to it.
`);
  }
  return EXIT.ok;
};
