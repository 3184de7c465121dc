// HIY's benchmarks: `npx tsx bench/run.ts [--only NAME] [--quick]`. Prints a table, writes bench/results/latest.json.

import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { holdDefaultPorts } from '../test/support/defaultPorts.js';
import { benchBackup } from './backup.js';
import { benchConverge } from './converge.js';
import { benchDaemon } from './daemon.js';
import { benchDashboard } from './dashboard.js';
import { type BenchContext, fmtMs, fmtValue, installSignalCleanup, type Result, timed } from './lib.js';
import { benchNoop, benchNoopDeclared } from './noop.js';
import { benchOperations } from './operations.js';
import { benchPlan } from './plan.js';
import { benchPortUpgrade } from './portUpgrade.js';
import { benchPush } from './push.js';
import { benchPushStack } from './pushStacks.js';
import { benchConvergeRootless } from './rootless.js';
import { benchScale } from './scale.js';
import { benchSnapshot } from './snapshot.js';
import { benchStartup } from './startup.js';
import { benchTlsFirstApply } from './tlsFirstApply.js';
import { benchValidate, benchValidate1000 } from './validate.js';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<Result[]>> = {
  'plan-1000': benchPlan,
  'noop-reconcile-50': benchNoop,
  'noop-reconcile-50-declared': benchNoopDeclared,
  'converge-20': benchConverge,
  'converge-20-rootless': benchConvergeRootless,
  'snapshot-200m': benchSnapshot,
  'backup-200m': benchBackup,
  'daemon-50': benchDaemon,
  'push-to-serving': benchPush,
  'push-to-serving-go': benchPushStack('go'),
  'push-to-serving-ruby': benchPushStack('ruby'),
  'push-to-serving-java': benchPushStack('java'),
  'push-to-serving-php': benchPushStack('php'),
  startup: benchStartup,
  dashboard: benchDashboard,
  operations: benchOperations,
  'validate-limits': benchValidate,
  'validate-1000': benchValidate1000,
  'port-upgrade-email': benchPortUpgrade,
  'tls-first-apply': benchTlsFirstApply,
  'scale-1000': benchScale,
};

/** Run only when named with --only: scale-1000 takes tens of minutes and most of the box (docs/benchmarks.md). */
const OPT_IN = new Set(['scale-1000']);

const RESULTS_FILE = new URL('./results/latest.json', import.meta.url);

async function version(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false });
  return r.exitCode === 0 ? String(r.stdout).split('\n')[0]!.trim() : 'unavailable';
}

async function machine(): Promise<Record<string, string | number>> {
  const [kernel, podman, caddy, compose, runtime] = await Promise.all([
    version('uname', ['-r']),
    version('podman', ['--version']),
    version('caddy', ['version']),
    execa('dpkg-query', ['-W', 'podman-compose'], { reject: false }).then((r) =>
      r.exitCode === 0 ? String(r.stdout).replace('\t', ' ') : 'unavailable',
    ),
    version('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Version}}']),
  ]);
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memTotalGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    memFreeGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    kernel,
    node: process.version,
    podman,
    ociRuntime: runtime,
    caddy,
    podmanCompose: compose,
  };
}

function table(results: Result[]): string {
  const header = ['benchmark', 'n', 'median', 'p90', 'min', 'max', 'target', 'verdict', 'note'];
  const rows = results.map((r) => [
    r.name,
    String(r.stats.n),
    fmtValue(r.stats.median, r.unit),
    fmtValue(r.stats.p90, r.unit),
    fmtValue(r.stats.min, r.unit),
    fmtValue(r.stats.max, r.unit),
    r.target || '-',
    r.verdict === 'info' ? '-' : r.verdict,
    r.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      results: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      `Usage: npm run bench -- [--only NAME]... [--quick] [--results FILE]\nBenchmarks: ${Object.keys(BENCHMARKS).join(', ')}\nOpt-in (only with --only): ${[...OPT_IN].join(', ')}; scale-1000 runs HIY_BENCH_SCALE_N Ports (default 1000)\n`,
    );
    return 0;
  }
  const only = values.only ?? [];
  const unknown = only.filter((o) => !(o in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark(s) ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`,
    );
    return 2;
  }
  installSignalCleanup();
  const ctx: BenchContext = { quick: values.quick, log: (m) => process.stderr.write(`${m}\n`) };
  // As in the integration tests: a benchmark that binds a default address (a `make demo` may run) fails, and
  // one that connects to one fails the run.
  const ports = await holdDefaultPorts();
  ctx.log(`bench: holding ${ports.held.map((a) => a.addr).join(', ') || 'no default address (all in use)'}`);
  const selected = Object.entries(BENCHMARKS).filter(([name]) =>
    only.length === 0 ? !OPT_IN.has(name) : only.includes(name),
  );
  const startedAt = new Date().toISOString();
  const results: Result[] = [];
  const errors: { benchmark: string; error: string }[] = [];
  const total = await timed(async () => {
    for (const [name, fn] of selected) {
      try {
        results.push(...(await fn(ctx)));
      } catch (err) {
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        process.stderr.write(`bench: ${name} failed: ${message}\n`);
        errors.push({ benchmark: name, error: err instanceof Error ? err.message : String(err) });
      }
    }
  });
  await ports.release();
  const contacted = ports.report();
  if (contacted) {
    process.stderr.write(`bench: ${contacted}\n`);
    errors.push({ benchmark: 'default addresses', error: contacted });
  }
  const info = await machine();
  process.stdout.write(`\n${table(results)}\n\n`);
  process.stdout.write(
    `${info.cpus} CPUs, ${info.memTotalGiB} GiB, kernel ${info.kernel}, node ${info.node}, ${info.podman} (${info.ociRuntime}), caddy ${info.caddy}, ${info.podmanCompose}; total ${fmtMs(total.ms)}${values.quick ? ' (--quick)' : ''}\n`,
  );
  // --results: another file (the rootless benchmarks' child run writes where its user may).
  const resultsFile = values.results ?? RESULTS_FILE;
  if (!values.results) await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(
    resultsFile,
    `${JSON.stringify({ startedAt, totalMs: total.ms, quick: values.quick, only, machine: info, results, errors }, null, 2)}\n`,
  );
  process.stdout.write(`results written to ${values.results ?? 'bench/results/latest.json'}\n`);
  const missed = results.filter((r) => r.verdict === 'FAIL').map((r) => r.name.trim());
  if (missed.length > 0) process.stdout.write(`targets missed: ${missed.join(', ')}\n`);
  // A missed target is a measurement, not an error: only a benchmark that could not run fails the command.
  return errors.length > 0 ? 1 : 0;
}

process.exitCode = await main();
