// `hiy job run NAME JOB`: one run of a scheduled job now, its output streamed, recorded like a scheduled run.
import { findJob, recordJobEvent, runJob } from '../../engine/jobs.js';
import type { CommandRun } from '../command.js';
import { UsageError } from '../config.js';
import { EXIT } from '../context.js';

export const run: CommandRun = async (deps, settings, ctx) => {
  const [verb, name, job] = ctx.args;
  if (verb !== 'run' || !name || !job) throw new UsageError('hiy job run NAME JOB');
  const engine = await deps.makeEngine(settings);
  const spec = await findJob(engine, name, job);
  const done = await runJob(engine, spec, 'manual', ctx.json ? {} : { onOutput: (c) => deps.io.out(c) });
  await recordJobEvent(engine, done, engine.lockWaitMs ?? 60_000);
  if (ctx.json) deps.io.out(`${JSON.stringify(done, null, 2)}\n`);
  else {
    const code = done.exitCode !== undefined ? `, exit ${done.exitCode}` : '';
    deps.io.err(
      `job ${spec.name} of ${spec.resource}: ${done.outcome}${code}${done.reason ? ` (${done.reason})` : ''}\n`,
    );
  }
  return done.outcome === 'succeeded' ? EXIT.ok : EXIT.error;
};
