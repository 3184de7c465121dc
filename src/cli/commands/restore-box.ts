// `hiy restore-box --backup NAME`: HIY's state and every volume back from the backup repository, then an apply.
import { readFile } from 'node:fs/promises';
import { restoreBox } from '../../backup/restoreBox.js';
import type { Settings } from '../../model/settings.js';
import { type CommandRun, flag, str } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';
import { applyCommand } from './apply.js';

/** restic's own variables passed through from the environment (S3, B2, Azure, GCS keys…), never the password. */
function resticEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && /^(AWS_|B2_|AZURE_|GOOGLE_|ST_|OS_|RESTIC_REST_)/.test(k)) out[k] = v;
  return out;
}

export async function restoreBoxCommand(
  deps: CliDeps,
  settings: Settings,
  opts: {
    json: boolean;
    backup?: string;
    passwordFile?: string;
    repository?: string;
    apply: boolean;
    env: NodeJS.ProcessEnv;
  },
): Promise<number> {
  if (!opts.backup) throw new UsageError('hiy restore-box: name the Backup with --backup NAME');
  if (!opts.passwordFile)
    throw new UsageError(
      'hiy restore-box: give the repository password with --password-file FILE ("-": stdin)',
    );
  let password: string;
  if (opts.passwordFile === '-') {
    if (!deps.io.readStdin) throw new UsageError('hiy restore-box: no stdin to read the password from');
    password = await deps.io.readStdin();
  } else
    password = await readFile(opts.passwordFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(
        `hiy restore-box: cannot read --password-file ${opts.passwordFile}: ${err.code ?? err.message}`,
      );
    });
  password = password.replace(/\r?\n$/, '');
  const engine = await deps.makeEngine(settings);
  const step = opts.json ? undefined : (m: string) => deps.io.out(`${m}…\n`);
  const outcome = await restoreBox(engine, {
    backup: opts.backup,
    password,
    ...(opts.repository && { repository: opts.repository }),
    env: resticEnv(opts.env),
    ...(step && { onStep: step }),
  });
  if (opts.json) deps.io.out(`${JSON.stringify(outcome, null, 2)}\n`);
  else {
    deps.io.out(
      `\nRestored HIY's state (${outcome.state.entries.join(', ')}) from ${outcome.state.time} and ${outcome.volumes.length} volume(s):\n`,
    );
    for (const r of outcome.repos)
      deps.io.out(`  git repository ${r.repo}: backup ${r.id.slice(0, 8)}, ${r.refs} refs, checked\n`);
    for (const v of outcome.volumes)
      deps.io.out(`  ${v.volume}: backup ${v.backupId.slice(0, 8)}, ${v.files} files, verified\n`);
  }
  if (!opts.apply) {
    if (!opts.json) deps.io.out('\nNot applied (--no-apply): run hiy apply to start the services.\n');
    return EXIT.ok;
  }
  if (!opts.json) deps.io.out('\nApplying the state repo:\n');
  // The JSON of restore-box is the restore's; the apply reports in human form on stderr's side only when asked.
  return applyCommand(opts.json ? { ...deps, io: { ...deps.io, out: () => {} } } : deps, settings, {
    json: opts.json,
    allowMassDelete: false,
  });
}

export const run: CommandRun = (deps, settings, ctx) =>
  restoreBoxCommand(deps, settings, {
    json: ctx.json,
    ...(str(ctx, 'backup') && { backup: str(ctx, 'backup')! }),
    ...(str(ctx, 'password-file') && { passwordFile: str(ctx, 'password-file')! }),
    ...(str(ctx, 'repository') && { repository: str(ctx, 'repository')! }),
    apply: !flag(ctx, 'no-apply'),
    env: process.env,
  });
