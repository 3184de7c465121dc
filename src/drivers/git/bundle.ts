// Hosted repositories as git bundles (offsite backups): every ref of a bare repository in one file, and back.
import { execa } from 'execa';
import { GitCommandError } from './mirror.js';

const TIMEOUT_MS = 30 * 60_000;

async function run(args: string[]): Promise<string> {
  const r = await execa('git', args, {
    reject: false,
    stdin: 'ignore',
    timeout: TIMEOUT_MS,
    env: { GIT_TERMINAL_PROMPT: '0' },
  });
  if (r.exitCode === 0) return String(r.stdout);
  const line = String(r.stderr ?? '')
    .split('\n')
    .find((l) => l.trim());
  throw new GitCommandError(line ?? `git ${args.join(' ')}: exit ${r.exitCode}`, {
    args,
    exitCode: r.exitCode ?? null,
  });
}

/** Every ref of a repository with its object id, sorted by name (`git for-each-ref`); `{}` when it has none. */
export async function repoRefs(gitDir: string): Promise<Record<string, string>> {
  const out = await run(['-C', gitDir, 'for-each-ref', '--format=%(refname) %(objectname)']);
  const refs: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) refs[line.slice(0, sp)] = line.slice(sp + 1);
  }
  return Object.fromEntries(Object.entries(refs).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The branch HEAD names (`main` for `refs/heads/main`). */
export async function headBranch(gitDir: string): Promise<string> {
  return (await run(['-C', gitDir, 'symbolic-ref', '--short', 'HEAD'])).trim();
}

/** `git bundle create FILE --all`: one consistent file of every ref and the objects they reach. */
export async function createBundle(gitDir: string, file: string): Promise<void> {
  await run(['-C', gitDir, 'bundle', 'create', '--quiet', file, '--all']);
}

/** Checks a bundle and fetches every ref it holds into an existing (empty) bare repository, as is. */
export async function fetchBundle(gitDir: string, file: string): Promise<void> {
  await run(['-C', gitDir, 'bundle', 'verify', '--quiet', file]);
  await run(['-C', gitDir, 'fetch', '--quiet', '--no-tags', file, '+refs/*:refs/*']);
}
