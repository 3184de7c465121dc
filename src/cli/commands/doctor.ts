// `hiy doctor`: probes the box as the user HIY runs as and prints every check, and each problem with its fix.
import { probeHost } from '../../drivers/host/probe.js';
import { checkHost, type DoctorReport } from '../../model/host.js';
import type { CommandRun } from '../command.js';
import { EXIT } from '../context.js';

/** The human view of a report (the --json view is the report itself). */
export function renderDoctor(r: DoctorReport): string {
  const mode = r.rootless === undefined ? '' : r.rootless ? ' (rootless)' : ' (root)';
  const lines = [`hiy doctor: user ${r.user}${mode}`];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`);
  if (r.problems.length === 0) lines.push('', 'No problems.');
  else {
    lines.push('', `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}:`);
    for (const p of r.problems) lines.push(`  - ${p.what}`, `    fix: ${p.fix}`);
  }
  return `${lines.join('\n')}\n`;
}

export const run: CommandRun = async (deps, _settings, ctx) => {
  const report = checkHost(await probeHost({ podman: deps.io.env.HIY_PODMAN ?? 'podman' }));
  deps.io.out(ctx.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctor(report));
  return report.ok ? EXIT.ok : EXIT.error;
};
