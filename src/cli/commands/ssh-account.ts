// `hiy ssh-account` (help and flags in ssh-account.meta.ts): sets up the unprivileged ssh account users push to
// (`ssh://hiy@host/app`): rootless (./ssh-account-rootless.ts) when HIY runs as that user, else root's sudo set-up.

import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  forgetSshAccount,
  readSshAccount,
  renderAccountKeys,
  syncAccountKeys,
  writeSshAccount,
} from '../../access/sshAccount.js';
import { loadAccess } from '../../access/stateAccess.js';
import { privileged } from '../../drivers/host/probe.js';
import {
  ACCOUNT_NAME,
  type AccountMode,
  accountMode,
  chooseAccountMode,
  isPlainPath,
  NO_LOGIN_SHELL,
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
import { runRootless } from './ssh-account-rootless.js';

/**
 * --mode, else the recorded account's (for --remove), else the mode of the user HIY runs as: `root` when this
 * process is root and root owns the data directory, `rootless` otherwise.
 */
async function modeOf(ctx: CommandContext, dataDir: string): Promise<AccountMode> {
  const requested = str(ctx, 'mode');
  if (requested !== undefined && requested !== 'rootless' && requested !== 'root') {
    throw new UsageError(`--mode ${JSON.stringify(requested)}: expected rootless or root`);
  }
  const recorded = flag(ctx, 'remove') ? await readSshAccount(dataDir) : undefined;
  if (requested === undefined && recorded) return accountMode(recorded);
  const dataDirOwner = await stat(dataDir).then(
    (s) => s.uid,
    () => undefined,
  );
  return chooseAccountMode({ requested, privileged: await privileged(), dataDirOwner });
}

/** Root mode's account: its sudoers rule and sudo are always known. */
type RootAccount = SshAccount & { sudoers: string; sudo: string };

function accountFrom(ctx: CommandContext, existingHome?: string): Omit<RootAccount, 'sudo'> {
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
  return {
    mode: 'root',
    user,
    home,
    authorizedKeysFile: join(home, '.ssh', 'authorized_keys'),
    wrapper,
    sudoers,
  };
}

export const run: CommandRun = async (deps, settings, ctx) => {
  const mode = await modeOf(ctx, settings.dataDir);
  if (mode === 'rootless') return runRootless(deps, settings, ctx);
  const dryRun = flag(ctx, 'dry-run');
  const say = (text: string) => {
    if (!ctx.json) deps.io.err(text);
  };
  if (!dryRun && !(await privileged())) {
    throw new Error(
      'hiy ssh-account --mode root creates a system user and a sudoers rule: run it as root (as the user HIY runs as, the rootless mode needs neither)',
    );
  }
  if (flag(ctx, 'remove')) {
    const recorded = await readSshAccount(settings.dataDir);
    const account = recorded ?? { ...accountFrom(ctx), sudo: '' };
    const files = [account.authorizedKeysFile, account.sudoers, account.wrapper].filter(
      (f): f is string => f !== undefined,
    );
    if (!dryRun) {
      // The keys first: nothing can reach the bridge once they are gone.
      for (const f of files) await rm(f, { force: true });
      await forgetSshAccount(settings.dataDir);
    }
    if (ctx.json)
      deps.io.out(
        `${JSON.stringify({ mode: 'root', removed: files, dryRun, user: account.user }, null, 2)}\n`,
      );
    else
      say(
        `${dryRun ? 'would remove' : 'removed'} ${files.join(', ')}\nthe system user ${account.user} is kept: userdel ${account.user} removes it\n`,
      );
    return EXIT.ok;
  }

  const existing = await lookupAccount(str(ctx, 'user') ?? 'hiy');
  const base = accountFrom(ctx, existing?.home || undefined);
  if (existing?.uid === 0) throw new Error(`${base.user} has uid 0: the ssh account must be unprivileged`);
  if (existing && NO_LOGIN_SHELL.test(existing.shell)) {
    throw new Error(
      `${base.user}'s shell is ${existing.shell}, which cannot run sshd's forced commands; run usermod -s /bin/sh ${base.user}`,
    );
  }
  const sudo = findProgram('sudo');
  if (!sudo && !dryRun) throw new Error('sudo is not installed (apt-get install sudo)');
  const account: RootAccount = { ...base, sudo: sudo ?? '/usr/bin/sudo' };
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
      deps.io.out(
        `${JSON.stringify({ mode, account, dryRun, files: { wrapper, sudoers, keys } }, null, 2)}\n`,
      );
    } else {
      deps.io.out(
        `# mode root: the keys run the wrapper as root through sudo (--mode rootless when HIY runs as ${account.user})\n# ${account.wrapper} (root, 755)\n${wrapper}\n# ${account.sudoers} (root, 440)\n${sudoers}\n# ${account.authorizedKeysFile} (root, 644)\n${keys}`,
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
      `${JSON.stringify({ mode, account, created: !existing, uid: after?.uid, users: users.length, keys: keyCount }, null, 2)}\n`,
    );
  } else {
    say(`ssh account ${account.user} (uid ${after?.uid}) ${existing ? 'updated' : 'created'}, mode root: pushes run HIY as root through sudo:
${account.authorizedKeysFile}: ${keyCount} key(s) of ${users.length} user(s), rewritten by every apply
${account.wrapper}: runs hiy git-shell with this HIY's settings
${account.sudoers}: lets ${account.user} run only that, as root
Users push with: git remote add hiy ssh://${account.user}@<this host>/APP
If sshd_config has AllowUsers or AllowGroups, add ${account.user} to it.
`);
  }
  return EXIT.ok;
};
