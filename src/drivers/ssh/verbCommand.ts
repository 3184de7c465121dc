// The everyday-operation verbs a HIY ssh key may send (`ssh hiy@box logs blog -f`). Pure and strict: a table of
// verbs, each with its grammar, the role it needs and whether it may have a terminal; nothing touches a file.
import { DNS_LABEL, ENV_NAME, EXEC_USER } from '../../model/names.js';
import { quoteUntrusted } from './gitCommand.js';

/** The role a verb needs on its resource (access/grants.ts's roles). */
export type VerbRole = 'view' | 'deploy' | 'admin';

/** A parsed verb: the resource it is about and its own arguments. */
export interface VerbRequest {
  verb: string;
  /** The resource as written: `blog`, `app/blog` or `port/db`. */
  name: string;
  /** Flags of `logs` (follow, tail, since, timestamps, previous, job) and of `exec` (user). */
  flags: Record<string, string | boolean>;
  /** KEY=VALUE words (config:set), keys (config:unset), the command (run, exec) or the job (job:run). */
  words: string[];
}

export interface VerbSpec {
  usage: string;
  role: VerbRole;
  /** Whether the session may have a terminal (`ssh -t`): only for interactive commands. */
  pty: boolean;
  /** `box`: about no one resource (help, status); the handler shows only what the user may view. */
  scope?: 'box';
  /** Checks the words after the verb (the resource first); a reason when they do not fit. */
  parse(words: string[]): Omit<VerbRequest, 'verb'> | string;
}

export type ParsedVerbCommand =
  | { ok: true; request: VerbRequest; spec: VerbSpec }
  | { ok: false; reason: string };

/** Longest command looked at (config:set carries values). */
const MAX_VERB_COMMAND_LENGTH = 8192;

const NAME = /^(?:(?:app|port)\/)?[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

function resource(words: string[], usage: string): string | { name: string; rest: string[] } {
  const [name, ...rest] = words;
  if (!name) return `which resource? usage: ${usage}`;
  if (!NAME.test(name)) return `${quoteUntrusted(name)} is not a resource name (blog, app/blog or port/db)`;
  return { name, rest };
}

const noArgs = (usage: string) => (words: string[]) => {
  const r = resource(words, usage);
  if (typeof r === 'string') return r;
  if (r.rest.length > 0) return `unexpected ${quoteUntrusted(r.rest[0]!)}; usage: ${usage}`;
  return { name: r.name, flags: {}, words: [] };
};

/** A verb about the whole box, with no words after it. */
const nothing = (usage: string) => (words: string[]) =>
  words.length > 0
    ? `unexpected ${quoteUntrusted(words[0]!)}; usage: ${usage}`
    : { name: '', flags: {}, words: [] };

const command = (usage: string, required: boolean) => (words: string[]) => {
  const r = resource(words, usage);
  if (typeof r === 'string') return r;
  const rest = r.rest[0] === '--' ? r.rest.slice(1) : r.rest;
  if (required && rest.length === 0) return `which command? usage: ${usage}`;
  return { name: r.name, flags: {}, words: rest };
};

/** `exec NAME [--user U] [--] CMD…`: the user (a name or uid[:gid]) before the command. */
function execArgs(words: string[]): Omit<VerbRequest, 'verb'> | string {
  const usage = VERBS.exec!.usage;
  const r = resource(words, usage);
  if (typeof r === 'string') return r;
  let rest = r.rest;
  const flags: Record<string, string | boolean> = {};
  if (rest[0] === '--user' || rest[0] === '-u') {
    const user = rest[1];
    if (user === undefined || !EXEC_USER.test(user))
      return `--user needs a user name or a uid[:gid]; usage: ${usage}`;
    flags.user = user;
    rest = rest.slice(2);
  }
  if (rest[0] === '--') rest = rest.slice(1);
  if (rest.length === 0) return `which command? usage: ${usage}`;
  return { name: r.name, flags, words: rest };
}

function logsArgs(words: string[]): Omit<VerbRequest, 'verb'> | string {
  const usage = VERBS.logs!.usage;
  const r = resource(words, usage);
  if (typeof r === 'string') return r;
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < r.rest.length; i++) {
    const w = r.rest[i]!;
    if (w === '-f' || w === '--follow') flags.follow = true;
    else if (w === '--timestamps') flags.timestamps = true;
    else if (w === '--previous') flags.previous = true;
    else if (w === '--tail' || w === '--since' || w === '--job') {
      const v = r.rest[++i];
      const ok =
        v !== undefined &&
        (w === '--tail'
          ? /^\d{1,7}$/.test(v)
          : w === '--since'
            ? /^(\d+(ms|s|m|h))+$/.test(v)
            : DNS_LABEL.test(v));
      if (!ok)
        return `${w} needs ${w === '--tail' ? 'a number' : w === '--since' ? 'a duration (10m)' : 'a job name'}`;
      flags[w.slice(2)] = v;
    } else return `unknown flag ${quoteUntrusted(w)}; usage: ${usage}`;
  }
  if (flags.previous && (flags.follow || flags.since !== undefined || flags.job !== undefined))
    return `--previous takes only --tail and --timestamps; usage: ${usage}`;
  return { name: r.name, flags, words: [] };
}

function assignments(unset: boolean) {
  return (words: string[]): Omit<VerbRequest, 'verb'> | string => {
    const usage = unset ? VERBS['config:unset']!.usage : VERBS['config:set']!.usage;
    const r = resource(words, usage);
    if (typeof r === 'string') return r;
    if (r.rest.length === 0) return `nothing to ${unset ? 'unset' : 'set'}; usage: ${usage}`;
    for (const w of r.rest) {
      const key = unset ? w : w.slice(0, Math.max(0, w.indexOf('=')));
      if (!ENV_NAME.test(key))
        return `${quoteUntrusted(w)} is not ${unset ? 'a variable name' : 'KEY=VALUE'}`;
    }
    return { name: r.name, flags: {}, words: r.rest };
  };
}

function jobRun(words: string[]): Omit<VerbRequest, 'verb'> | string {
  const usage = VERBS['job:run']!.usage;
  const r = resource(words, usage);
  if (typeof r === 'string') return r;
  if (r.rest.length !== 1 || !DNS_LABEL.test(r.rest[0]!)) return `which job? usage: ${usage}`;
  return { name: r.name, flags: {}, words: r.rest };
}

/** `backup:now|list|drill NAME [--backup B] [--json]`, and `backup:restore` also takes `--id ID`. */
const backupArgs = (usage: string, withId: boolean) => (words: string[]) => {
  const r = resource(words, usage);
  if (typeof r === 'string') return r;
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < r.rest.length; i++) {
    const w = r.rest[i]!;
    if (w === '--json') flags.json = true;
    else if (w === '--backup' || (withId && w === '--id')) {
      const v = r.rest[++i];
      const ok = v !== undefined && (w === '--id' ? /^[0-9a-f]{4,64}$/.test(v) : DNS_LABEL.test(v));
      if (!ok) return `${w} needs ${w === '--id' ? 'a backup id (hex)' : 'a Backup name'}`;
      flags[w.slice(2)] = v;
    } else return `unknown flag ${quoteUntrusted(w)}; usage: ${usage}`;
  }
  return { name: r.name, flags, words: [] };
};

const BACKUP_USAGE = {
  now: 'backup:now NAME [--backup B] [--json]',
  list: 'backup:list NAME [--backup B] [--json]',
  restore: 'backup:restore NAME [--id ID] [--backup B] [--json]',
  drill: 'backup:drill NAME [--backup B] [--json]',
};

/** Every verb: one line each (a new verb is one more line, and one in push/sshVerbs.ts's handlers). */
export const VERBS: Record<string, VerbSpec> = {
  help: { usage: 'help', role: 'view', pty: false, scope: 'box', parse: nothing('help') },
  status: { usage: 'status', role: 'view', pty: false, scope: 'box', parse: nothing('status') },
  'ps:report': { usage: 'ps:report NAME', role: 'view', pty: false, parse: noArgs('ps:report NAME') },
  logs: {
    usage: 'logs NAME [-f] [--tail N] [--since 10m] [--timestamps] [--previous] [--job JOB]',
    role: 'view',
    pty: false,
    parse: logsArgs,
  },
  config: { usage: 'config NAME', role: 'view', pty: false, parse: noArgs('config NAME') },
  'config:set': {
    usage: 'config:set NAME KEY=VALUE…',
    role: 'deploy',
    pty: false,
    parse: assignments(false),
  },
  'config:unset': { usage: 'config:unset NAME KEY…', role: 'deploy', pty: false, parse: assignments(true) },
  restart: { usage: 'restart NAME', role: 'deploy', pty: false, parse: noArgs('restart NAME') },
  run: {
    usage: 'run NAME [--] [CMD…]',
    role: 'deploy',
    pty: true,
    parse: command('run NAME [--] [CMD…]', false),
  },
  exec: { usage: 'exec NAME [--user U] [--] CMD…', role: 'admin', pty: true, parse: execArgs },
  'job:run': { usage: 'job:run NAME JOB', role: 'deploy', pty: false, parse: jobRun },
  'build:list': { usage: 'build:list NAME', role: 'view', pty: false, parse: noArgs('build:list NAME') },
  // deploy, as src/access's cancelBuild: whoever may push the App may stop its build.
  'build:cancel': {
    usage: 'build:cancel NAME',
    role: 'deploy',
    pty: false,
    parse: noArgs('build:cancel NAME'),
  },
  // The roles of access/grants.ts's snapshot (now, drill), read (list) and rollback (restore): view, deploy.
  'backup:now': {
    usage: BACKUP_USAGE.now,
    role: 'deploy',
    pty: false,
    parse: backupArgs(BACKUP_USAGE.now, false),
  },
  'backup:list': {
    usage: BACKUP_USAGE.list,
    role: 'view',
    pty: false,
    parse: backupArgs(BACKUP_USAGE.list, false),
  },
  'backup:restore': {
    usage: BACKUP_USAGE.restore,
    role: 'deploy',
    pty: false,
    parse: backupArgs(BACKUP_USAGE.restore, true),
  },
  'backup:drill': {
    usage: BACKUP_USAGE.drill,
    role: 'deploy',
    pty: false,
    parse: backupArgs(BACKUP_USAGE.drill, false),
  },
};

/** `config set` → `config:set`, `job run` → `job:run` (Dokku writes the colon, people often a space). */
const SPACED = new Set([
  'config:set',
  'config:unset',
  'job:run',
  'build:list',
  'build:cancel',
  'backup:now',
  'backup:list',
  'backup:restore',
  'backup:drill',
]);

/**
 * Splits a command into words: blanks separate, single quotes keep everything, double quotes keep everything
 * but `\"` and `\\`. Outside quotes, shell syntax (`;|&<>$\`(){}` and backslashes) is refused: nothing runs
 * a shell, and a word that looks like shell must not mean something else here.
 */
export function splitWords(text: string): string[] | string {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return 'an unterminated quote';
      cur = (cur ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let word = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        word += text[j];
      }
      if (j >= text.length) return 'an unterminated quote';
      cur = (cur ?? '') + word;
      i = j;
    } else if (/[;|&<>$`(){}\\]/.test(c)) return `shell syntax (${c}); quote values that contain it`;
    else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

/** True when the command starts with one of the verbs (else it is for git-shell's git parser). */
export function isVerbCommand(command: string | undefined): boolean {
  const first = command?.trimStart().split(/[ \t]/, 1)[0] ?? '';
  return first in VERBS || first === 'job' || first === 'build' || first === 'backup';
}

/** Parses SSH_ORIGINAL_COMMAND as a verb. Anything not in VERBS, or not fitting its grammar, is refused. */
export function parseVerbCommand(command: string): ParsedVerbCommand {
  if (command.length > MAX_VERB_COMMAND_LENGTH)
    return { ok: false, reason: `refused: the command is too long (${command.length} characters)` };
  if (/[\0-\x08\x0a-\x1f\x7f]/.test(command))
    return { ok: false, reason: 'refused: control characters in the command' };
  const words = splitWords(command);
  if (typeof words === 'string') return { ok: false, reason: `refused ${quoteUntrusted(command)}: ${words}` };
  let [verb, ...rest] = words;
  if (
    (verb === 'config' || verb === 'job' || verb === 'build' || verb === 'backup') &&
    SPACED.has(`${verb}:${rest[0]}`)
  ) {
    verb = `${verb}:${rest[0]}`;
    rest = rest.slice(1);
  }
  const spec = verb !== undefined ? VERBS[verb] : undefined;
  if (!spec || verb === undefined) {
    return {
      ok: false,
      reason: `refused ${quoteUntrusted(command)}: not a HIY command (${Object.keys(VERBS).join(', ')})`,
    };
  }
  const parsed = spec.parse(rest);
  if (typeof parsed === 'string') return { ok: false, reason: `refused ${verb}: ${parsed}` };
  return { ok: true, request: { verb, ...parsed }, spec };
}
