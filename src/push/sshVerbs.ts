// The everyday-operation verbs over SSH (`ssh hiy@box logs blog -f`): who may, and what each does. The grammar
// is drivers/ssh/verbCommand.ts's; here are the grant check and one handler per verb, calling the same engine
// functions as the CLI and the API.
import { hasRole } from '../access/grants.js';
import type { Access } from '../access/stateAccess.js';
import { resolveTarget, type TargetResolution, workloadNamesOf } from '../access/targets.js';
import type { VerbRequest, VerbSpec } from '../drivers/ssh/verbCommand.js';
import { cancelBuild, listBuilds } from '../engine/builds.js';
import { editConfig, showConfig } from '../engine/config.js';
import { findJob, recordJobEvent, runJob } from '../engine/jobs.js';
import { resourceLogs } from '../engine/logs.js';
import { execInResource, runOneOff } from '../engine/oneOff.js';
import { restartResource } from '../engine/restart.js';
import type { UserResource } from '../model/resources.js';
import { renderPlan } from '../plan/render.js';
import { BACKUP_VERB_HANDLERS } from './backupVerbs.js';
import { help, psReport, status } from './sshReportVerbs.js';
import type { Handler, SshVerbContext } from './sshVerbContext.js';

export type { Handler, SshVerbContext } from './sshVerbContext.js';

/** What a verb's name resolves to (access/targets.ts), against the Apps and Ports of the state's head. */
export function verbTarget(access: Access, name: string): TargetResolution {
  return resolveTarget(name, workloadNamesOf([...access.apps, ...access.ports]));
}

export type VerbDecision =
  | { ok: true; resource: string; user: UserResource }
  | { ok: false; message: string; resource?: string };

/** The grant check of a verb: the user's role on the resource (Ports only through `*` grants), and the pty rule. */
export function authorizeVerb(
  request: VerbRequest,
  spec: VerbSpec,
  userName: string,
  access: Access,
  pty: boolean,
): VerbDecision {
  const user = access.users.get(userName);
  if (!user) return { ok: false, message: `refused: ${userName} is not a User of this HIY` };
  if (pty && !spec.pty) {
    return {
      ok: false,
      message: `refused: ${request.verb} takes no terminal; only exec and run do (drop ssh -t)`,
    };
  }
  // help and status: about the whole box; their handlers show only what the user may view.
  if (spec.scope === 'box') return { ok: true, resource: '*', user };
  const target = verbTarget(access, request.name);
  if (!target.ok) return { ok: false, message: `refused: ${target.message}` };
  const resource = target.id;
  if (!hasRole(user, resource, spec.role)) {
    return {
      ok: false,
      message: `refused: ${request.verb} needs the ${spec.role} role on ${resource}`,
      resource,
    };
  }
  return { ok: true, resource, user };
}

/** How the author of a commit made over SSH is written: the User, `NAME@hiy`. */
export function sshAuthor(user: UserResource): { name: string; email: string } {
  return { name: user.metadata.name, email: `${user.metadata.name}@hiy` };
}

const attach = (ctx: SshVerbContext) => ({ output: 'inherit' as const, interactive: true, tty: ctx.pty });

async function logs(ctx: SshVerbContext): Promise<number> {
  const { flags } = ctx.request;
  const tail = typeof flags.tail === 'string' ? Number(flags.tail) : undefined;
  if (typeof flags.job === 'string') {
    let runs = await ctx.engine.stores.jobRuns.list(ctx.resource, flags.job);
    if (tail !== undefined) runs = runs.slice(-tail);
    if (runs.length === 0) ctx.out(`No runs of job ${flags.job} of ${ctx.resource} yet.\n`);
    for (const r of runs) {
      ctx.out(
        `== ${r.startedAt}  ${r.outcome}${r.exitCode !== undefined ? ` exit ${r.exitCode}` : ''}${r.reason ? ` (${r.reason})` : ''}\n${r.output}`,
      );
    }
    return 0;
  }
  await resourceLogs(
    ctx.engine,
    ctx.resource,
    {
      follow: flags.follow === true,
      timestamps: flags.timestamps === true,
      previous: flags.previous === true,
      ...(tail !== undefined && { tail }),
      ...(typeof flags.since === 'string' && { since: flags.since }),
    },
    'inherit',
  );
  return 0;
}

async function config(ctx: SshVerbContext): Promise<number> {
  const c = await showConfig(ctx.engine, ctx.resource);
  const lines = Object.entries(c.env).map(([k, v]) => `${k}=${v}`);
  for (const [k, s] of Object.entries(c.secretEnv)) lines.push(`${k}=<secret ${s}>`);
  ctx.out(lines.length ? `${lines.join('\n')}\n` : `${c.resource} has no env.\n`);
  return 0;
}

const editEnv =
  (unset: boolean): Handler =>
  async (ctx) => {
    const { words } = ctx.request;
    const set = unset
      ? undefined
      : Object.fromEntries(words.map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
    const result = await editConfig(ctx.engine, {
      name: ctx.resource,
      ...(set ? { set } : { unset: words }),
      author: sshAuthor(ctx.user),
    });
    ctx.out(renderPlan(result.plan));
    ctx.out(
      result.commit
        ? `\nCommitted ${result.commit.slice(0, 12)}; HIY applies it shortly.\n`
        : '\nNothing to change.\n',
    );
    return 0;
  };

async function restart(ctx: SshVerbContext): Promise<number> {
  const outcome = await restartResource(ctx.engine, ctx.resource, { actor: ctx.user.metadata.name });
  if (outcome.result.ok) ctx.out(`Restarted ${outcome.resource}.\n`);
  else ctx.err(`hiy: restart of ${outcome.resource} failed; the previous container runs again\n`);
  return outcome.result.ok ? 0 : 1;
}

async function jobRunVerb(ctx: SshVerbContext): Promise<number> {
  const job = await findJob(ctx.engine, ctx.resource, ctx.request.words[0]!);
  const done = await runJob(ctx.engine, job, 'manual', { onOutput: ctx.out });
  await recordJobEvent(ctx.engine, done, 60_000);
  ctx.err(
    `job ${job.name} of ${job.resource}: ${done.outcome}${done.exitCode !== undefined ? `, exit ${done.exitCode}` : ''}\n`,
  );
  return done.outcome === 'succeeded' ? 0 : 1;
}

async function buildListVerb(ctx: SshVerbContext): Promise<number> {
  const runs = await listBuilds(ctx.engine, ctx.resource);
  if (runs.length === 0) ctx.out(`No builds of ${ctx.resource} kept.\n`);
  for (const r of runs) {
    const took = Math.round(
      ((r.finishedAt ? Date.parse(r.finishedAt) : Date.now()) - Date.parse(r.startedAt)) / 1000,
    );
    ctx.out(
      `${r.startedAt}  ${r.commit.slice(0, 12)}  ${r.user}  ${r.state}${r.step ? ` (${r.step})` : ''}  ${took}s${r.reason ? `  ${r.reason}` : ''}\n`,
    );
  }
  return 0;
}

async function buildCancelVerb(ctx: SshVerbContext): Promise<number> {
  const ended = await cancelBuild(ctx.engine, ctx.resource, `${ctx.user.metadata.name} (ssh)`);
  if (ended.state === 'cancelled') {
    ctx.out(
      `Cancelled the build of ${ctx.resource} at ${ended.commit.slice(0, 12)} (pushed by ${ended.user}).\n`,
    );
    return 0;
  }
  ctx.err(`hiy: asked the build of ${ctx.resource} to stop; it is ${ended.state}\n`);
  return 1;
}

/** One handler per verb of drivers/ssh/verbCommand.ts's VERBS. */
export const VERB_HANDLERS: Record<string, Handler> = {
  help,
  status,
  'ps:report': psReport,
  logs,
  config,
  'config:set': editEnv(false),
  'config:unset': editEnv(true),
  restart,
  run: (ctx) =>
    runOneOff(ctx.engine, { name: ctx.resource, command: ctx.request.words, attach: attach(ctx) }),
  exec: (ctx) => {
    const user = ctx.request.flags.user;
    return execInResource(
      ctx.engine,
      ctx.resource,
      ctx.request.words,
      attach(ctx),
      typeof user === 'string' ? { user } : {},
    );
  },
  'job:run': jobRunVerb,
  'build:list': buildListVerb,
  'build:cancel': buildCancelVerb,
  ...BACKUP_VERB_HANDLERS,
};

/** A one-line, secret-free summary of a request for the audit log (config values are left out). */
export function auditDetail(request: VerbRequest): string {
  if (request.verb === 'config:set') return request.words.map((w) => w.slice(0, w.indexOf('='))).join(' ');
  if (request.verb === 'run' || request.verb === 'exec') {
    const as = typeof request.flags.user === 'string' ? `--user ${request.flags.user} ` : '';
    return `${as}${request.words.join(' ')}`.slice(0, 200);
  }
  return [
    ...Object.entries(request.flags).map(([k, v]) => (v === true ? `--${k}` : `--${k} ${v}`)),
    ...request.words,
  ].join(' ');
}
