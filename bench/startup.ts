// startup: how long a `hiy` process takes to start, do a small thing and exit, next to a bare `node`. A `git push`
// runs hiy twice in a row (sshd's forced command `hiy git-shell USER`, then git's pre-receive hook), so every
// start-up is paid twice per push; the refusal of a hostile ssh command is the cheapest path HIY has.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { makeRepo } from '../test/support/hiy.js';
import { type BenchContext, type Result, stats, timed, withCleanup } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/hiy.js');

interface Case {
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** The exit code the run must end with (a wrong one means the case measured something else). */
  code: number;
  /** Median target in ms; undefined for information. */
  targetMs?: number;
  note: string;
}

/** Runs argv once with node, checks its exit code, returns its wall time in ms. */
async function runOnce(c: Case): Promise<number> {
  const { ms, value } = await timed(
    () =>
      new Promise<{ code: number | null; err: string }>((resolve, reject) => {
        const child = spawn(process.execPath, c.argv, {
          cwd: ROOT,
          env: { ...process.env, ...c.env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (d) => {
          err += d;
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, err }));
      }),
  );
  if (value.code !== c.code)
    throw new Error(`startup: ${c.name} exited ${value.code}, not ${c.code}: ${value.err.slice(0, 500)}`);
  return ms;
}

export async function benchStartup(ctx: BenchContext): Promise<Result[]> {
  ctx.log('startup: building dist/ (npm run build; bin/hiy.js runs the build, as installed)...');
  await execa('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  const rounds = ctx.quick ? 5 : 10;
  const dir = await mkdtemp(join(tmpdir(), 'hiy-bench-startup-'));
  return withCleanup(
    'startup temp dir',
    () => rm(dir, { recursive: true, force: true }),
    async () => {
      const state = join(dir, 'state');
      await makeRepo(state, {
        'app.yaml': `apiVersion: hiy/v1
kind: Port
metadata:
  name: web
spec:
  image: localhost/hiy/busybox:latest
  routes: [{ host: web.example.test, port: 8080 }]
`,
      });
      const settings = ['--state', state, '--data-dir', join(dir, 'data')];
      const cases: Case[] = [
        { name: 'node -e 0 (bare node)', argv: ['-e', '0'], code: 0, note: 'the floor: Node itself' },
        {
          name: 'hiy version',
          argv: [BIN, 'version'],
          code: 0,
          targetMs: 300,
          note: 'argument parsing and the command list only',
        },
        {
          name: 'hiy --help',
          argv: [BIN, '--help'],
          code: 0,
          targetMs: 300,
          note: "every command's summary and usage",
        },
        {
          name: "hiy git-shell (refusal of 'sh -c id')",
          argv: [BIN, 'git-shell', 'dev', ...settings],
          env: { SSH_ORIGINAL_COMMAND: 'sh -c id' },
          code: 1,
          targetMs: 300,
          note: 'what an ssh key of HIY gets for anything but git push/fetch; nothing read from disk',
        },
        {
          name: 'hiy validate (1 resource)',
          argv: [BIN, 'validate', ...settings],
          code: 0,
          note: 'loads the engine (yaml, zod, isomorphic-git, the drivers) and reads the state repo at HEAD',
        },
      ];
      const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
      // One warm-up round (file cache), then the cases interleaved so that load on the box hits all alike.
      for (const c of cases) await runOnce(c);
      for (let i = 0; i < rounds; i++) {
        for (const c of cases) samples.get(c.name)!.push(await runOnce(c));
      }
      const bare = stats(samples.get(cases[0]!.name)!).median;
      return cases.map((c, i): Result => {
        const s = stats(samples.get(c.name)!);
        const overhead = i === 0 ? '' : `; ${Math.round(s.median - bare)} ms above bare node`;
        return {
          name: i === 0 ? `startup ${c.name}` : `↳ ${c.name}`,
          group: 'startup',
          samplesMs: samples.get(c.name)!,
          stats: s,
          target: c.targetMs ? `median ≤ ${c.targetMs} ms` : '',
          verdict: c.targetMs === undefined ? 'info' : s.median <= c.targetMs ? 'pass' : 'FAIL',
          note: `${c.note}${overhead}`,
        };
      });
    },
  );
}
