// Everyday operations against what they wrap, in the same run, as ratios of medians:
//  - logs-tail-100: HIY's `logs NAME --tail 100` path (resolve the container, one podman call, output handed on)
//    next to a raw `podman logs --tail 100`, both started from this process, rounds interleaved;
//  - config-set-commit: `config set` (read the state repo head, edit the YAML keeping comments, validate the whole
//    state, plan, commit) without the apply, next to a raw `git commit -a` of the same one-line change in a copy
//    of the same repository, started from this process (git's own start-up counts on the raw side).
// Node's own start-up and module loading (the `startup` benchmark: `hiy validate` loads what `config set` loads)
// are left out of the HIY rows: they are the same for every command.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pino from 'pino';
import { FakeCaddy } from '../src/drivers/caddy/fake.js';
import { IsomorphicGitReader } from '../src/drivers/git/isomorphic.js';
import { FakePodman } from '../src/drivers/podman/fake.js';
import { PodmanCli } from '../src/drivers/podman/runner.js';
import { editConfig } from '../src/engine/config.js';
import type { Engine } from '../src/engine/engine.js';
import { resourceLogs } from '../src/engine/logs.js';
import { LABEL_INSTANCE } from '../src/model/labels.js';
import { DEFAULT_SETTINGS } from '../src/model/settings.js';
import { openStores } from '../src/store/index.js';
import { BUSYBOX_IMAGE, cleanupInstance, ensureBusyboxImage } from '../test/support/podman.js';
import { type BenchContext, type Result, stats, timed, withCleanup } from './lib.js';

const TARGET_RATIO = 1.5;

function ratioRow(name: string, hiy: number[], raw: number[], note: string, target = true): Result {
  const h = stats(hiy);
  const r = stats(raw);
  const ratio = h.median / r.median;
  return {
    name,
    group: 'operations',
    samplesMs: hiy,
    stats: h,
    target: target ? `≤ ${TARGET_RATIO}× raw` : '',
    verdict: !target ? 'info' : ratio <= TARGET_RATIO ? 'pass' : 'FAIL',
    note: `${ratio.toFixed(2)}× raw (raw median ${r.median.toFixed(1)} ms); ${note}`,
    extra: { ratio, rawSamplesMs: raw, rawStats: r },
  };
}

function engineFor(settings: Engine['settings'], podman: Engine['podman']): Engine {
  return {
    settings,
    podman,
    caddy: new FakeCaddy(),
    git: new IsomorphicGitReader(),
    prober: { httpGet: async () => 200, tcpConnect: async () => {} },
    exportCommit: async () => {},
    logger: pino({ level: 'silent' }),
    stores: openStores(settings.dataDir),
  };
}

async function benchLogs(ctx: BenchContext, dir: string, rounds: number): Promise<Result[]> {
  await ensureBusyboxImage();
  const instance = `bench${randomBytes(3).toString('hex')}`;
  const container = `hiy-${instance}-chatty`;
  return withCleanup(
    'logs-tail-100 container',
    () => cleanupInstance(instance),
    async () => {
      await execa('podman', [
        'run',
        '-d',
        '--pull=never',
        '--name',
        container,
        '--label',
        `${LABEL_INSTANCE}=${instance}`,
        BUSYBOX_IMAGE,
        'sh',
        '-c',
        'i=0; while [ $i -lt 2000 ]; do echo "line $i of the chatty container"; i=$((i+1)); done; sleep 600',
      ]);
      const settings = { ...DEFAULT_SETTINGS, stateRepo: dir, dataDir: dir, instance };
      const engine = engineFor(settings, new PodmanCli());
      let bytes = 0;
      const count = (c: string) => {
        bytes += c.length;
      };
      const sink = { stdout: count, stderr: count };
      const hiy: number[] = [];
      const raw: number[] = [];
      for (let i = 0; i < rounds + 1; i++) {
        const a = await timed(() => resourceLogs(engine, 'chatty', { tail: 100 }, sink));
        const b = await timed(() => execa('podman', ['logs', '--tail', '100', container]));
        if (i === 0) continue; // warm-up
        hiy.push(a.ms);
        raw.push(b.ms);
      }
      ctx.log(`logs-tail-100: ${bytes} bytes handed on`);
      return [ratioRow('logs-tail-100', hiy, raw, 'one podman call each')];
    },
  );
}

const portYaml = (i: number) => `# service ${i}
apiVersion: hiy/v1
kind: Port
metadata:
  name: svc${i}
spec:
  image: localhost/bench/svc:1
  env:
    # how chatty
    LOG_LEVEL: info
`;

async function benchConfig(ctx: BenchContext, dir: string, rounds: number): Promise<Result[]> {
  const who = ['-c', 'user.name=bench', '-c', 'user.email=bench@hiy.invalid'];
  const work = join(dir, 'work');
  const rawRepo = join(dir, 'raw');
  for (const repo of [work, rawRepo]) {
    await execa('git', ['init', '-q', '-b', 'main', repo]);
    for (let i = 0; i < 20; i++) await writeFile(join(repo, `svc${i}.yaml`), portYaml(i));
    await execa('git', ['-C', repo, 'add', '-A']);
    await execa('git', ['-C', repo, ...who, 'commit', '-qm', 'initial']);
  }
  const bare = join(dir, 'state.git');
  await execa('git', ['clone', '-q', '--bare', work, bare]);
  const podman = new FakePodman();
  podman.addImage('localhost/bench/svc:1');
  const author = { name: 'bench', email: 'bench@hiy.invalid' };
  const engineOf = (stateRepo: string) =>
    engineFor({ ...DEFAULT_SETTINGS, stateRepo, dataDir: join(dir, 'data'), instance: 'bench' }, podman);
  const bareEngine = engineOf(bare);
  const workEngine = engineOf(work);
  const hiyBare: number[] = [];
  const hiyWork: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < rounds + 1; i++) {
    const value = `v${i}`;
    const a = await timed(() => editConfig(bareEngine, { name: 'svc3', set: { LOG_LEVEL: value }, author }));
    const b = await timed(() => editConfig(workEngine, { name: 'svc3', set: { LOG_LEVEL: value }, author }));
    const c = await timed(async () => {
      await writeFile(join(rawRepo, 'svc3.yaml'), portYaml(3).replace('info', value));
      await execa('git', ['-C', rawRepo, ...who, 'commit', '-qam', `config: set LOG_LEVEL on port/svc3`]);
    });
    if (!a.value.commit || !b.value.commit) throw new Error('config-set-commit: an edit made no commit');
    if (i === 0) continue;
    hiyBare.push(a.ms);
    hiyWork.push(b.ms);
    raw.push(c.ms);
  }
  ctx.log(
    'config-set-commit: 20 resources; observation by in-memory drivers (podman/caddy listing is not HIY work)',
  );
  return [
    ratioRow(
      'config-set-commit',
      hiyBare,
      raw,
      'bare state repo: objects and branch written in-process, no git process',
    ),
    ratioRow(
      'config-set-commit-worktree',
      hiyWork,
      raw,
      'working copy: git status (refuses local edits) + in-process commit + git read-tree (updates the checkout)',
      false,
    ),
  ];
}

export async function benchOperations(ctx: BenchContext): Promise<Result[]> {
  const rounds = ctx.quick ? 7 : 21;
  const dir = await mkdtemp(join(tmpdir(), 'hiy-bench-ops-'));
  return withCleanup(
    'operations temp dir',
    () => rm(dir, { recursive: true, force: true }),
    async () => [...(await benchLogs(ctx, dir, rounds)), ...(await benchConfig(ctx, dir, rounds))],
  );
}
