// `hiy config NAME`, `hiy config set NAME K=V…`, `hiy config unset NAME K…`: env as the state repo has it.

import { gitIdentity } from '../../drivers/git/commit.js';
import { editConfig, showConfig } from '../../engine/config.js';
import { HiyError } from '../../model/errors.js';
import type { Settings } from '../../model/settings.js';
import { renderPlan } from '../../plan/render.js';
import { type CommandRun, flag } from '../command.js';
import { UsageError } from '../config.js';
import type { CliDeps } from '../context.js';
import { EXIT } from '../context.js';

/** The author of a commit made on the box: git's configured identity for the state repo. */
export class GitIdentityMissingError extends HiyError<{ stateRepo: string }> {
  constructor(stateRepo: string) {
    super(
      'GIT_IDENTITY_MISSING',
      `git has no identity to author the commit: set one with git -C ${stateRepo} config user.name "NAME" and user.email "EMAIL" (or --global)`,
      { data: { stateRepo } },
    );
    this.name = 'GitIdentityMissingError';
  }
}

/** `KEY=VALUE` words → variables; every malformed word reported at once. */
export function parseAssignments(words: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const bad: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) bad.push(w);
    else out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  if (bad.length > 0)
    throw new UsageError(`expected KEY=VALUE, got: ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  return out;
}

export interface ConfigCommandOptions {
  args: string[];
  json: boolean;
  dryRun: boolean;
}

export async function configCommand(
  deps: CliDeps,
  settings: Settings,
  opts: ConfigCommandOptions,
): Promise<number> {
  const [first, ...rest] = opts.args;
  if (!first) throw new UsageError('hiy config NAME | config set NAME KEY=VALUE… | config unset NAME KEY…');
  const engine = await deps.makeEngine(settings);
  if (first !== 'set' && first !== 'unset') {
    if (rest.length > 0) throw new UsageError(`hiy config: unexpected argument "${rest[0]}"`);
    const config = await showConfig(engine, first);
    if (opts.json) deps.io.out(`${JSON.stringify(config, null, 2)}\n`);
    else {
      const lines = Object.entries(config.env).map(([k, v]) => `${k}=${v}`);
      for (const [k, s] of Object.entries(config.secretEnv)) lines.push(`${k}=<secret ${s}>`);
      deps.io.out(lines.length ? `${lines.join('\n')}\n` : `${config.resource} has no env.\n`);
    }
    return EXIT.ok;
  }
  const [name, ...words] = rest;
  if (!name || words.length === 0) {
    throw new UsageError(first === 'set' ? 'hiy config set NAME KEY=VALUE…' : 'hiy config unset NAME KEY…');
  }
  const author = await gitIdentity(settings.stateRepo);
  if (!author) throw new GitIdentityMissingError(settings.stateRepo);
  const result = await editConfig(engine, {
    name,
    ...(first === 'set' ? { set: parseAssignments(words) } : { unset: words }),
    author,
    dryRun: opts.dryRun,
  });
  if (opts.json) {
    deps.io.out(
      `${JSON.stringify({ resource: result.resource, commit: result.commit ?? null, plan: result.plan }, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  deps.io.out(renderPlan(result.plan));
  if (opts.dryRun) deps.io.out('\nDry run: nothing was committed.\n');
  else if (!result.commit)
    deps.io.out(`\n${result.resource} already has that configuration: nothing to commit.\n`);
  else
    deps.io.out(
      `\nCommitted ${result.commit.slice(0, 12)} to ${settings.branch} as ${author.name} <${author.email}>; the daemon (or hiy apply) applies it.\n`,
    );
  return EXIT.ok;
}

export const run: CommandRun = (deps, settings, ctx) =>
  configCommand(deps, settings, { args: ctx.args, json: ctx.json, dryRun: flag(ctx, 'dry-run') });
