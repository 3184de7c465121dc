// `hiy git-hook pre-receive|post-receive`: what the hooks of pushes through git-shell run (see src/push/receive.ts).
import { isAbsolute, resolve } from 'node:path';
import { pusherWatch } from '../../drivers/ssh/pusher.js';
import { parseRefUpdates, postReceive, preReceive } from '../../push/receive.js';
import type { CommandRun } from '../command.js';
import { UsageError } from '../config.js';
import { EXIT } from '../context.js';

/** The push options (`git push -o detach`): GIT_PUSH_OPTION_COUNT and GIT_PUSH_OPTION_0… */
export function pushOptions(env: NodeJS.ProcessEnv): string[] {
  const count = Number(env.GIT_PUSH_OPTION_COUNT ?? '0');
  if (!Number.isInteger(count) || count <= 0) return [];
  return Array.from({ length: Math.min(count, 32) }, (_, i) => env[`GIT_PUSH_OPTION_${i}`] ?? '');
}

/** Git's quarantine variables, made absolute; every GIT_* variable is then removed from this process. */
function takeGitEnv(): Record<string, string> {
  const keep: Record<string, string> = {};
  for (const name of Object.keys(process.env)) {
    if (!name.startsWith('GIT_')) continue;
    const value = process.env[name]!;
    if (name === 'GIT_DIR' || name === 'GIT_OBJECT_DIRECTORY' || name === 'GIT_QUARANTINE_PATH') {
      keep[name] = isAbsolute(value) ? value : resolve(value);
    } else if (name === 'GIT_ALTERNATE_OBJECT_DIRECTORIES') {
      keep[name] = value
        .split(':')
        .map((p) => (isAbsolute(p) ? p : resolve(p)))
        .join(':');
    }
    // Children (git for other repositories, podman) must not inherit GIT_DIR and friends of this push.
    delete process.env[name];
  }
  return keep;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

export const run: CommandRun = async (deps, settings, ctx) => {
  const hook = ctx.args[0];
  if (hook !== 'pre-receive' && hook !== 'post-receive') {
    throw new UsageError('hiy git-hook pre-receive|post-receive');
  }
  const { HIY_PUSH_REPO: repo, HIY_PUSH_USER: user, HIY_PUSH_GIT_DIR: gitDir } = deps.io.env;
  if (!repo || !user || !gitDir) {
    deps.io.err('hiy: git-hook runs only for pushes through hiy git-shell\n');
    return EXIT.error;
  }
  const options = pushOptions(process.env);
  const gitEnv = takeGitEnv();
  // Once the pusher is gone, receive-pack dies writing to it and a write to it here fails: no crash for that.
  let broken = false;
  process.stdout.on('error', () => {
    broken = true;
  });
  const pusherGone = pusherWatch({ parent: process.ppid, broken: () => broken });
  const updates = parseRefUpdates(await readStdin());
  const slots = Number(deps.io.env.HIY_BUILDS_AT_ONCE ?? '1');
  const context = {
    engine: await deps.makeEngine(settings),
    repo,
    user,
    gitDir,
    gitEnv,
    out: (t: string) => deps.io.out(t),
    buildSlots: Number.isInteger(slots) && slots > 0 ? slots : 1,
    receivePackPid: process.ppid,
    pushOptions: options,
    pusherGone,
  };
  return hook === 'pre-receive' ? preReceive(updates, context) : postReceive(updates, context);
};
