// Every CLI command, in the order --help lists them. A new command: NAME.meta.ts in this folder (name, help,
// flags, and `load`, which imports NAME.ts, its implementation, only when the command runs), and one line here.
// Nothing here may import an implementation: `hiy --help`, usage errors and git-shell's refusals load only this.
import type { Command } from '../command.js';
import { command as apply } from './apply.meta.js';
import { command as authorizedKeys } from './authorized-keys.meta.js';
import { command as backup } from './backup.meta.js';
import { command as build } from './build.meta.js';
import { command as ca } from './ca.meta.js';
import { command as config } from './config.meta.js';
import { command as daemon } from './daemon.meta.js';
import { command as doctor } from './doctor.meta.js';
import { command as events } from './events.meta.js';
import { command as exec, runCommand as runOnce } from './exec.meta.js';
import { command as exportCommand } from './export.meta.js';
import { command as fetch } from './fetch.meta.js';
import { command as gitHook } from './git-hook.meta.js';
import { command as gitShell } from './git-shell.meta.js';
import { command as job } from './job.meta.js';
import { command as login } from './login.meta.js';
import { command as logs } from './logs.meta.js';
import { command as plan } from './plan.meta.js';
import { command as port } from './port.meta.js';
import { command as releases } from './releases.meta.js';
import { command as restart } from './restart.meta.js';
import { command as restoreBox } from './restore-box.meta.js';
import { command as rollback, unpinCommand as unpin } from './rollback.meta.js';
import { command as secret } from './secret.meta.js';
import { command as session } from './session.meta.js';
import { command as settingsCommand } from './settings.meta.js';
import { command as snapshot } from './snapshot.meta.js';
import { command as sshAccount } from './ssh-account.meta.js';
import { command as status } from './status.meta.js';
import { command as token } from './token.meta.js';
import { command as validate } from './validate.meta.js';
import { command as volume } from './volume.meta.js';

export const COMMANDS: Command[] = [
  validate,
  plan,
  apply,
  status,
  releases,
  rollback,
  unpin,
  snapshot,
  volume,
  exportCommand,
  backup,
  restoreBox,
  port,
  events,
  logs,
  build,
  exec,
  runOnce,
  config,
  restart,
  ca,
  job,
  daemon,
  settingsCommand,
  doctor,
  secret,
  token,
  login,
  session,
  fetch,
  authorizedKeys,
  sshAccount,
  gitShell,
  gitHook,
];
