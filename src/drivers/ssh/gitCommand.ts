// The one thing a HIY ssh key may ask for: `git-receive-pack 'NAME'` or `git-upload-pack 'NAME'`. Pure, strict.
import { DNS_LABEL } from '../../model/names.js';

/** The repository name that reaches the state repo (`ssh://hiy@host/state`); no App repo may use it. */
export const STATE_REPO_NAME = 'state';

export type GitService = 'git-receive-pack' | 'git-upload-pack';

/** A validated request: a git service on a repository name that is a DNS label. */
export interface GitRequest {
  service: GitService;
  /** `state` or an App repository name (a DNS label, without `.git`). */
  repo: string;
}

export type ParsedGitCommand = { ok: true; request: GitRequest } | { ok: false; reason: string };

/** Longest SSH_ORIGINAL_COMMAND looked at: the service, quotes, `/`, a 63-character name and `.git`. */
const MAX_COMMAND_LENGTH = 100;

/** A short, printable rendering of untrusted text for error messages (never the whole of a long input). */
export function quoteUntrusted(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/**
 * Parses SSH_ORIGINAL_COMMAND as git's ssh transport sends it: the service, one space, and the path in
 * single quotes (`'/site'` for ssh://host/site, `'site'` for host:site). A leading `/`, a trailing `.git`
 * and a trailing `/` are accepted; what remains must be a DNS label. Anything else (other programs, extra
 * arguments, `..`, more slashes, a leading `-`, quotes, control characters, over-long names) is refused.
 * Nothing here touches the file system.
 */
export function parseGitCommand(command: string | undefined): ParsedGitCommand {
  if (command === undefined || command === '') {
    return {
      ok: false,
      reason:
        'interactive logins are refused: this account serves git push and fetch, and the commands that ssh USER@BOX help lists',
    };
  }
  if (command.length > MAX_COMMAND_LENGTH) {
    return { ok: false, reason: `refused: the command is too long (${command.length} characters)` };
  }
  const m = /^(git-receive-pack|git-upload-pack) '([^']*)'$/.exec(command);
  if (!m) {
    return {
      ok: false,
      reason: `refused ${quoteUntrusted(command)}: only git push and git fetch (git-receive-pack / git-upload-pack 'NAME') are allowed, and the commands that ssh USER@BOX help lists`,
    };
  }
  const service = m[1] as GitService;
  let name = m[2]!;
  if (name.startsWith('/')) name = name.slice(1);
  if (name.endsWith('/')) name = name.slice(0, -1);
  if (name.endsWith('.git')) name = name.slice(0, -4);
  if (!DNS_LABEL.test(name)) {
    return {
      ok: false,
      reason: `refused repository ${quoteUntrusted(m[2]!)}: a repository is an app name (lower-case letters, digits and "-", at most 63 characters) or "${STATE_REPO_NAME}"`,
    };
  }
  return { ok: true, request: { service, repo: name } };
}
