// `hiy authorized-keys [--out FILE]`: the OpenSSH authorized_keys of HIY's ssh account, from the User resources.
import { loadAccess } from '../../access/stateAccess.js';
import { forcedCommand, keyPart, renderAuthorizedKeys } from '../../drivers/ssh/authorizedKeys.js';
import { selfCommand, settingsEnv } from '../../push/self.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { type CommandRun, str } from '../command.js';
import { lastingSettingsEnv } from '../config.js';
import { EXIT } from '../context.js';

export const run: CommandRun = async (deps, settings, ctx) => {
  const engine = await deps.makeEngine(settings);
  const access = await loadAccess(settings, engine.git);
  const self = selfCommand(deps.io.env);
  const env = lastingSettingsEnv(settingsEnv(settings, deps.io.env), deps.settingsEnvironment);
  const users = [...access.users.values()];
  const text = renderAuthorizedKeys(users, (user) =>
    forcedCommand({ env, argv: [...self, 'git-shell', user] }),
  );
  const out = str(ctx, 'out');
  if (out) await writeFileAtomic(out, text, { mode: 0o600 });
  if (ctx.json) {
    const summary = users.map((u) => ({
      user: u.metadata.name,
      keys: u.spec.sshKeys.map((k) => keyPart(k) ?? null).map((k) => (k ? k.split(' ')[0] : 'malformed')),
      grants: u.spec.grants,
    }));
    deps.io.out(
      `${JSON.stringify({ commit: access.commit, users: summary, ...(out ? { written: out } : { authorizedKeys: text }) }, null, 2)}\n`,
    );
  } else if (!out) {
    deps.io.out(text);
  } else {
    const n = users.reduce((sum, u) => sum + u.spec.sshKeys.length, 0);
    deps.io.err(`wrote ${n} key(s) of ${users.length} user(s) to ${out}\n`);
  }
  return EXIT.ok;
};
