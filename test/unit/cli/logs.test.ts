// `hiy logs --build` and `--job`: what the data directory keeps, printed without touching Podman.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { logsCommand } from '../../../src/cli/commands/logs.js';
import { DEFAULT_SETTINGS, type Settings } from '../../../src/model/settings.js';
import { JobRunStore } from '../../../src/store/jobRuns.js';

describe('hiy logs from the data directory', () => {
  let dir: string;
  let settings: Settings;
  const io = () => {
    const o = { out: '', err: '' };
    return {
      o,
      deps: {
        io: {
          out(t: string) {
            o.out += t;
          },
          err(t: string) {
            o.err += t;
          },
          env: {},
        },
        makeEngine: () => Promise.reject(new Error('no engine needed')),
      },
    };
  };
  const base = { json: false, follow: false, timestamps: false };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-logs-'));
    settings = { ...DEFAULT_SETTINGS, stateRepo: join(dir, 'state'), dataDir: dir };
    const release = (n: number, commit: string) => ({
      number: n,
      resource: 'app/blog',
      stateCommit: 'c'.repeat(40),
      image: `localhost/hiy/blog:${commit}`,
      specHash: 'h',
      run: {},
      snapshots: [],
      appliedAt: '2026-01-01T00:00:00Z',
      cause: 'apply',
    });
    await mkdir(join(dir, 'releases'), { recursive: true });
    await writeFile(
      join(dir, 'releases', 'app_blog.json'),
      JSON.stringify([release(1, 'aaaaaaaaaaaa'), release(2, 'bbbbbbbbbbbb')]),
    );
    await mkdir(join(dir, 'builds', 'blog'), { recursive: true });
    await writeFile(join(dir, 'builds', 'blog', 'aaaaaaaaaaaa.log'), 'STEP 1/2: first build\n');
    await writeFile(join(dir, 'builds', 'blog', 'bbbbbbbbbbbb.log'), 'STEP 1/2: second build\n');
    for (const outcome of ['failed', 'succeeded'] as const) {
      await new JobRunStore(dir).record({
        resource: 'app/blog',
        job: 'cleanup',
        trigger: 'schedule',
        startedAt: '2026-01-01T00:00:00Z',
        ms: 1200,
        outcome,
        exitCode: outcome === 'failed' ? 2 : 0,
        output: `${outcome} output\n`,
      });
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--build shows the current release build log, or the one of RELEASE', async () => {
    const a = io();
    assert.equal(await logsCommand(a.deps, settings, { ...base, name: 'blog', build: true }), 0);
    assert.equal(a.o.out, 'STEP 1/2: second build\n');
    const b = io();
    assert.equal(
      await logsCommand(b.deps, settings, { ...base, name: 'blog', build: true, release: '1' }),
      0,
    );
    assert.equal(b.o.out, 'STEP 1/2: first build\n');
    await assert.rejects(
      logsCommand(io().deps, settings, { ...base, name: 'blog', build: true, release: '9' }),
      /no release 9/,
    );
  });

  it('--previous refuses --follow, --since and --job (it reads what was kept)', async () => {
    for (const extra of [{ follow: true }, { since: '10m' }, { job: 'cleanup' }]) {
      await assert.rejects(
        logsCommand(io().deps, settings, { ...base, name: 'blog', previous: true, ...extra }),
        /--previous takes only --tail, --timestamps and --json/,
      );
    }
  });

  it('--job prints the kept runs, --tail the last ones', async () => {
    const a = io();
    assert.equal(
      await logsCommand(a.deps, settings, { ...base, name: 'blog', job: 'cleanup', tail: '1' }),
      0,
    );
    assert.match(
      a.o.out,
      /^== 2026-01-01T00:00:00Z {2}succeeded exit 0 {2}1\.2s {2}schedule\nsucceeded output\n$/,
    );
    const b = io();
    await logsCommand(b.deps, settings, { ...base, name: 'blog', job: 'cleanup', json: true });
    assert.deepEqual(
      JSON.parse(b.o.out).runs.map((r: { outcome: string }) => r.outcome),
      ['failed', 'succeeded'],
    );
  });
});
