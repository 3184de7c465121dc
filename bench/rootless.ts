// converge-20 as root and rootless in one run: the same benchmark run again as the unprivileged user HIY runs as.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../test/support/podman.js';
import { benchConverge } from './converge.js';
import { type BenchContext, fmtMs, type Result, stats } from './lib.js';

/** The user HIY runs as (scripts/rootless.sh creates it); HIY_USER overrides, as for scripts/test-rootless.sh. */
const USER = process.env.HIY_USER ?? 'hiy';
const REPO = new URL('..', import.meta.url).pathname;

async function userHome(): Promise<string> {
  const r = await execa('getent', ['passwd', USER], { reject: false });
  if (r.exitCode !== 0)
    throw new Error(`no user ${USER}: run scripts/rootless.sh (scripts/setup.sh does) first`);
  return String(r.stdout).split(':')[5] ?? '/';
}

/** Runs `argv` as the user in a clean environment (runuser alone keeps root's HOME), from the repository. */
function asUser(home: string, argv: string[], opts: { input?: Buffer } = {}) {
  return execa(
    'runuser',
    [
      '-u',
      USER,
      '--',
      'env',
      '-i',
      'PATH=/usr/local/bin:/usr/bin:/bin',
      `HOME=${home}`,
      `USER=${USER}`,
      'LANG=C.UTF-8',
      ...argv,
    ],
    { cwd: REPO, reject: false, all: true, ...(opts.input ? { input: opts.input } : {}) },
  );
}

/** Root's busybox image in the user's store (its Podman has its own), copied once. */
async function busyboxForUser(home: string): Promise<void> {
  await ensureBusyboxImage();
  if ((await asUser(home, ['podman', 'image', 'exists', BUSYBOX_IMAGE])).exitCode === 0) return;
  const saved = await execa('podman', ['save', '--quiet', BUSYBOX_IMAGE], { encoding: 'buffer' });
  const loaded = await asUser(home, ['podman', 'load', '--quiet'], { input: saved.stdout as Buffer });
  if (loaded.exitCode !== 0) throw new Error(`loading ${BUSYBOX_IMAGE} as ${USER}: ${loaded.all}`);
}

/** The rootless side: `bench/run.ts --only converge-20` as the user, its results read back from a file it may write. */
async function rootlessConverge(ctx: BenchContext, home: string): Promise<Result[]> {
  const readable = await asUser(home, [
    'test',
    '-r',
    join(REPO, 'package.json'),
    '-a',
    '-x',
    join(REPO, 'node_modules'),
  ]);
  if (readable.exitCode !== 0)
    throw new Error(`${USER} cannot read ${REPO}: run the benchmark from a checkout it can read`);
  const dir = await mkdtemp(join(tmpdir(), 'hiy-bench-rootless-'));
  try {
    await execa('chown', [USER, dir]);
    const file = join(dir, 'results.json');
    const args = ['node', '--import', 'tsx', 'bench/run.ts', '--only', 'converge-20', '--results', file];
    if (ctx.quick) args.push('--quick');
    ctx.log(`converge-20 rootless: the same benchmark as ${USER} (runuser)`);
    const r = await asUser(home, args);
    for (const line of String(r.all).split('\n')) if (/^ {2}(hiy apply|podman)/.test(line)) ctx.log(line);
    if (r.exitCode !== 0)
      throw new Error(`converge-20 as ${USER} failed (exit ${r.exitCode}): ${String(r.all).slice(-3000)}`);
    return (JSON.parse(await readFile(file, 'utf8')) as { results: Result[] }).results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The one result of `results` whose name starts with `prefix` (after trimming). */
function pick(results: Result[], prefix: string): Result {
  const r = results.find((x) => x.name.trim().startsWith(prefix));
  if (!r) throw new Error(`converge-20: no result "${prefix}"`);
  return r;
}

export async function benchConvergeRootless(ctx: BenchContext): Promise<Result[]> {
  const home = await userHome();
  await busyboxForUser(home);
  ctx.log('converge-20 root: the benchmark as this process (root)');
  const root = await benchConverge(ctx);
  const rootless = await rootlessConverge(ctx, home);
  const group = 'converge-20-rootless';
  const hiyRoot = pick(root, 'converge-20 (hiy apply)');
  const hiyUser = pick(rootless, 'converge-20 (hiy apply)');
  const loopRoot = pick(root, 'podman run -d');
  const loopUser = pick(rootless, 'podman run -d');
  const ratio = hiyUser.stats.median / hiyRoot.stats.median;
  const loopRatio = loopUser.stats.median / loopRoot.stats.median;
  const ownRatio = (r: Result, loop: Result) => (r.stats.median / loop.stats.median).toFixed(2);
  return [
    {
      name: 'converge-20 rootless (hiy apply)',
      group,
      samplesMs: hiyUser.samplesMs,
      stats: stats(hiyUser.samplesMs),
      target: 'rootless ≤ 1.2 × root',
      verdict: ratio <= 1.2 ? 'pass' : 'FAIL',
      note: `ratio rootless/root **${ratio.toFixed(2)}** (root median ${fmtMs(hiyRoot.stats.median)}); hiy/loop rootless ${ownRatio(hiyUser, loopUser)}, root ${ownRatio(hiyRoot, loopRoot)}`,
      extra: { ratioToRoot: ratio, user: USER },
    },
    {
      name: '  converge-20 root (hiy apply)',
      group,
      samplesMs: hiyRoot.samplesMs,
      stats: hiyRoot.stats,
      target: '',
      verdict: 'info',
      note: 'the same benchmark in this process, as root, just before',
    },
    {
      name: '  podman run -d ×20 rootless / root',
      group,
      samplesMs: loopUser.samplesMs,
      stats: loopUser.stats,
      target: '',
      verdict: 'info',
      note: `Podman's own rootless cost: serial loop rootless/root ${loopRatio.toFixed(2)} (root median ${fmtMs(loopRoot.stats.median)})`,
      extra: { ratioToRoot: loopRatio },
    },
  ];
}
