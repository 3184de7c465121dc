// validate-limits: `hiy validate` of committed state repos at the size limits (docs/design.md, "Limits of a state
// repo"): ordinary resources, hostile junk, and files far over the limits. Wall time and peak RSS of the process.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { STATE_DOCUMENTS_MAX, STATE_FILE_MAX_BYTES, STATE_REPO_MAX_BYTES } from '../src/desired/limits.js';
import { makeRepo } from '../test/support/hiy.js';
import { type BenchContext, type Result, stats, timed, withCleanup } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/hiy.js');
const TARGET_MS = 2000;
const TARGET_MIB = 200;
/** Preloaded into the measured process: prints its peak RSS (KiB) and CPU time (µs) to stderr as it exits. */
const MAXRSS = `data:text/javascript,${encodeURIComponent(
  // Into a file, not stderr: a pipe the process made non-blocking answers a write at exit with EAGAIN.
  "import { writeFileSync } from 'node:fs'; process.on('exit', () => { const u = process.resourceUsage(); writeFileSync(process.env.HIY_BENCH_USAGE_FILE, 'maxrss-kib=' + u.maxRSS + ' cpu-us=' + (u.userCPUTime + u.systemCPUTime)); });",
)}`;

/** A Port of about 800 bytes, like a real one with a dozen variables. */
const resource = (i: number) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: svc-${i}
  labels: { team: core, tier: web }
spec:
  image: localhost/example/web:${i % 20}
  env:
    GREETING: "hello from ${i}"
    DATABASE_URL: postgres://app:app@db-${i}.internal:5432/app?sslmode=disable
    REDIS_URL: redis://cache-${i}.internal:6379/0
    LOG_LEVEL: info
    LOG_FORMAT: json
    FEATURE_FLAGS: "search,comments,uploads,previews"
    PUBLIC_URL: https://svc-${i}.example.com
    SMTP_HOST: mail.example.com
    SMTP_PORT: "587"
  volumes:
    - name: data
      mountPath: /var/lib/app
  routes:
    - host: svc-${i}.example.com
      port: 8080
  healthcheck:
    http: { path: /healthz, port: 8080 }
    interval: 2s
    timeout: 30s
  resources: { memory: 256Mi, cpus: 0.5 }
  stopGracePeriod: 5s
---
`;

/** `count` documents of `make(i)` in files of `perFile` documents. */
function filesOf(count: number, perFile: number, make: (i: number) => string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const name = `f${String(Math.floor(i / perFile)).padStart(2, '0')}.yaml`;
    files[name] = (files[name] ?? '') + make(i);
  }
  return files;
}

/** Files of `text` repeated to just under the file limit, together just under the repo limit. */
function fullOf(text: string): Record<string, string> {
  const files: Record<string, string> = {};
  const perFile = Math.floor((STATE_FILE_MAX_BYTES - 4096) / text.length);
  for (let f = 0; (f + 1) * perFile * text.length <= STATE_REPO_MAX_BYTES; f++)
    files[`f${f}.yaml`] = text.repeat(perFile);
  return files;
}

interface Case {
  name: string;
  files: Record<string, string>;
  code: number;
  note: string;
}

function cases(): Case[] {
  const perFile = Math.floor(STATE_DOCUMENTS_MAX / 5);
  const ordinary = filesOf(STATE_DOCUMENTS_MAX, perFile, resource);
  const bytes = Object.values(ordinary).reduce((n, t) => n + t.length, 0);
  if (bytes > STATE_REPO_MAX_BYTES) throw new Error(`validate-limits: ${bytes} bytes, over the repo limit`);
  return [
    {
      name: 'ordinary resources',
      files: ordinary,
      code: 0,
      note: `${STATE_DOCUMENTS_MAX} valid Ports (the document limit) in 5 files, ${(bytes / 2 ** 20).toFixed(1)} MiB`,
    },
    {
      name: 'invalid documents',
      files: fullOf(
        'apiVersion: hiy/v1\nkind: Port\nmetadata: { name: x }\nspec: { image: 1, bogus: 2 }\n---\n',
      ),
      code: 1,
      note: 'files of invalid documents up to the size limits: 30 problems listed per file, the rest counted',
    },
    {
      name: 'hostile junk',
      files: {
        'deep.yaml': '['.repeat(STATE_FILE_MAX_BYTES - 1),
        'dash.yaml': '- '.repeat(STATE_FILE_MAX_BYTES / 2 - 1),
        'lines.yaml': 'a: b: c\n'.repeat(STATE_FILE_MAX_BYTES / 8 - 1),
        'keys.yaml': Array.from({ length: 90_000 }, (_, i) => `k${i}: v`).join('\n'),
      },
      code: 1,
      note: 'deep nesting, nested indicators, a syntax error per line, 90,000 keys (once 37 s alone)',
    },
    {
      name: 'over the limits',
      files: { 'huge.yaml': 'x: y\n'.repeat(2 * 1024 * 1024), ...ordinary },
      code: 1,
      note: 'a 10 MiB file (refused unparsed) next to the ordinary resources',
    },
  ];
}

/** Runs `hiy validate` once; returns wall time (ms), peak RSS (MiB) and CPU time (ms), checking the exit code. */
async function runOnce(
  c: Case,
  state: string,
  dataDir: string,
): Promise<{ ms: number; mib: number; cpuMs: number }> {
  const usageFile = join(dataDir, 'usage.txt');
  const { ms, value } = await timed(
    () =>
      new Promise<{ code: number | null; err: string }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', MAXRSS, BIN, 'validate', '--state', state, '--data-dir', dataDir],
          {
            cwd: ROOT,
            stdio: ['ignore', 'ignore', 'pipe'],
            env: { ...process.env, HIY_BENCH_USAGE_FILE: usageFile },
          },
        );
        let err = '';
        child.stderr.on('data', (d) => {
          err += d;
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, err }));
      }),
  );
  const usage = await readFile(usageFile, 'utf8').catch(() => '');
  await rm(usageFile, { force: true });
  const rss = /maxrss-kib=(\d+) cpu-us=(\d+)/.exec(usage);
  if (value.code !== c.code || !rss)
    throw new Error(
      `validate-limits: ${c.name} exited ${value.code}, not ${c.code}: ${value.err.slice(-500)}`,
    );
  if (/\n\s+at /.test(value.err)) throw new Error(`validate-limits: ${c.name} printed a stack trace`);
  return { ms, mib: Number(rss[1]) / 1024, cpuMs: Number(rss[2]) / 1000 };
}

export async function benchValidate(ctx: BenchContext): Promise<Result[]> {
  ctx.log('validate-limits: building dist/ (npm run build)...');
  await execa('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  const rounds = ctx.quick ? 3 : 5;
  const dir = await mkdtemp(join(tmpdir(), 'hiy-bench-validate-'));
  return withCleanup(
    'validate-limits temp dir',
    () => rm(dir, { recursive: true, force: true }),
    async () => {
      const out: Result[] = [];
      for (const [k, c] of cases().entries()) {
        const state = join(dir, `state${k}`);
        await makeRepo(state, c.files);
        ctx.log(`validate-limits: ${c.name}, ${rounds} runs`);
        const runs: { ms: number; mib: number; cpuMs: number }[] = [];
        await runOnce(c, state, join(dir, 'data')); // warm-up: file cache
        for (let i = 0; i < rounds; i++) runs.push(await runOnce(c, state, join(dir, 'data')));
        const time = stats(runs.map((r) => r.ms));
        const mem = stats(runs.map((r) => r.mib));
        out.push(
          {
            name: `validate-limits ${c.name}`,
            group: 'validate-limits',
            samplesMs: runs.map((r) => r.ms),
            stats: time,
            target: `median ≤ ${TARGET_MS} ms`,
            verdict: time.median <= TARGET_MS ? 'pass' : 'FAIL',
            note: `hiy validate, a whole process; ${c.note}`,
          },
          {
            name: `↳ peak RSS`,
            group: 'validate-limits',
            samplesMs: runs.map((r) => r.mib),
            stats: mem,
            unit: 'MiB',
            target: `≤ ${TARGET_MIB} MiB`,
            verdict: mem.max <= TARGET_MIB ? 'pass' : 'FAIL',
            note: 'maxRSS of the hiy process (getrusage)',
          },
          {
            name: `↳ CPU time`,
            group: 'validate-limits',
            samplesMs: runs.map((r) => r.cpuMs),
            stats: stats(runs.map((r) => r.cpuMs)),
            target: '',
            verdict: 'info',
            note: 'user + system CPU of the hiy process: less sensitive than wall time to a busy box',
          },
        );
      }
      return out;
    },
  );
}

const CPU_TARGET_MS = 1000;

/** The box's load averages over 1, 5 and 15 minutes. */
async function loadAverage(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}

/**
 * validate-1000: `hiy validate` of the ordinary case alone (1,000 Ports, the document limit), judged by its CPU
 * time (user + system of the hiy process), which a busy box inflates less than wall time. Target: ≤ 1 s.
 */
export async function benchValidate1000(ctx: BenchContext): Promise<Result[]> {
  ctx.log('validate-1000: building dist/ (npm run build)...');
  await execa('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  const rounds = ctx.quick ? 5 : 9;
  const dir = await mkdtemp(join(tmpdir(), 'hiy-bench-validate-'));
  return withCleanup(
    'validate-1000 temp dir',
    () => rm(dir, { recursive: true, force: true }),
    async () => {
      const c = cases()[0]!;
      const state = join(dir, 'state');
      await makeRepo(state, c.files);
      await runOnce(c, state, join(dir, 'data')); // warm-up: file cache, the declarations' cache
      // CPU time too grows with the box's load (cores shared by hyperthreads, caches): it is said at both ends.
      const before = await loadAverage();
      const runs: { ms: number; mib: number; cpuMs: number }[] = [];
      for (let i = 0; i < rounds; i++) runs.push(await runOnce(c, state, join(dir, 'data')));
      const cpu = stats(runs.map((r) => r.cpuMs));
      const load = `${before} before, ${await loadAverage()} after`;
      return [
        {
          name: 'validate-1000 CPU time',
          group: 'validate-1000',
          samplesMs: runs.map((r) => r.cpuMs),
          stats: cpu,
          target: `median ≤ ${CPU_TARGET_MS / 1000} s of CPU`,
          verdict: cpu.median <= CPU_TARGET_MS ? 'pass' : 'FAIL',
          note: `user + system CPU of \`hiy validate\` (a whole process); ${c.note}; load average ${load}`,
        },
        {
          name: '↳ wall time',
          group: 'validate-1000',
          samplesMs: runs.map((r) => r.ms),
          stats: stats(runs.map((r) => r.ms)),
          target: '',
          verdict: 'info',
          note: 'includes the podman image inspect of the 20 images (not on the box: one call)',
        },
      ];
    },
  );
}
