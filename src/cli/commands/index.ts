// Every CLI command, in the order --help lists them. A new command: a file in this folder
// exporting `command`, and one line here.
import type { Command } from '../command.js';
import { command as apply } from './apply.js';
import { command as authorizedKeys } from './authorized-keys.js';
import { command as daemon } from './daemon.js';
import { command as events } from './events.js';
import { command as fetch } from './fetch.js';
import { command as gitHook } from './git-hook.js';
import { command as gitShell } from './git-shell.js';
import { command as plan } from './plan.js';
import { command as releases } from './releases.js';
import { command as rollback, unpinCommand as unpin } from './rollback.js';
import { command as secret } from './secret.js';
import { command as snapshot } from './snapshot.js';
import { command as status } from './status.js';
import { command as token } from './token.js';
import { command as validate } from './validate.js';
import { command as volume } from './volume.js';

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
  events,
  daemon,
  secret,
  token,
  fetch,
  authorizedKeys,
  gitShell,
  gitHook,
];
