// kill -9 of `hiy apply` at each interruptible step, then `hiy apply` again: converged, no orphans, data intact.
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';

const MAIN = join(import.meta.dirname, '../support/hiy-cli.ts');

function db(greeting: string): string {
  return webPort('db', 'db.test', { volume: true, env: { GREETING: greeting } });
}

function web(text: string): string {
  return webPort('web', 'web.test', { text });
}

describe('crash-safe apply (kill -9 at each step)', () => {
  let h: Harness;
  let version = 1;

  /** Runs `hiy apply` as a real process that SIGKILLs itself at `point`. */
  const crashAt = async (point: string, args = ['apply']) => {
    const r = await execa('node', ['--import', 'tsx', MAIN, ...args], {
      env: { ...h.env, HIY_TEST_CRASH_AT: point },
      reject: false,
    });
    assert.equal(r.signal, 'SIGKILL', `hiy apply was not killed at ${point}: ${r.stdout}\n${r.stderr}`);
  };

  /** The box after a crash and one more apply: converged, nothing stray, data and journal as they must be. */
  const assertConverged = async (expect: { db: string; web: string }) => {
    const plan = await h.hiy(['plan', '--detailed-exitcode']);
    assert.equal(plan.code, 0, `not converged:\n${plan.out}${plan.err}`);
    const containers = await instanceObjects('containers', h.instance, '{{.Names}} {{.Status}}');
    assert.deepEqual(containers.map((c) => c.replace(/ Up .*/, ' running')).sort(), [
      `hiy-${h.instance}-db running`,
      `hiy-${h.instance}-web running`,
    ]);
    assert.deepEqual(await instanceObjects('volumes', h.instance, '{{.Name}}'), [
      `hiy-${h.instance}-db-data`,
    ]);
    const data = await execa('podman', ['exec', `hiy-${h.instance}-db`, 'cat', '/data/file']);
    assert.equal(data.stdout.trim(), 'precious');
    assert.equal((await h.get('db.test')).body.trim(), `db:${expect.db}`);
    assert.equal((await h.get('web.test')).body.trim(), `${expect.web}:hello`);
    const snapshotRoot = join(h.dataDir, 'snapshots');
    for (const volume of await readdir(snapshotRoot).catch(() => [])) {
      for (const id of await readdir(join(snapshotRoot, volume))) {
        const files = await readdir(join(snapshotRoot, volume, id));
        assert.ok(files.includes('manifest.json'), `incomplete snapshot left: ${volume}/${id} (${files})`);
      }
    }
    await assert.rejects(stat(join(h.dataDir, 'journal.jsonl')), 'the journal is cleared');
  };

  /** Commits a new version of db (stateful, stop-first) or web (stateless, start-first). */
  const bump = async (what: 'db' | 'web') => {
    version++;
    await h.commit(what === 'db' ? { 'db.yaml': db(`v${version}`) } : { 'web.yaml': web(`w${version}`) });
    return what === 'db' ? `v${version}` : `w${version}`;
  };

  let current = { db: 'v1', web: 'w1' };

  before(async () => {
    h = await startHarness({ 'db.yaml': db('v1'), 'web.yaml': web('w1') });
  });

  after(() => h.cleanup());

  it('while creating containers', async () => {
    await crashAt('run:running');
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /recovering first/);
    await execa('podman', ['exec', `hiy-${h.instance}-db`, 'sh', '-c', 'echo precious > /data/file']);
    await assertConverged(current);
  });

  const points: ['db' | 'web', string, RegExp][] = [
    ['db', 'replace:stopping', /interrupted before any change/],
    ['db', 'replace:snapshotting', /interrupted before any change; started the old version again/],
    ['db', 'snapshot:archived', /discarded 1 incomplete snapshot/],
    ['db', 'replace:parked', /interrupted before the old version was parked; started it again/],
    [
      'db',
      'replace:started',
      /undid the interrupted upgrade of \S+: the old version runs again with the data of \S+ as it was before/,
    ],
    ['db', 'replace:healthy', /upgrade of \S+ had succeeded; removed the parked old container/],
    ['web', 'switch:healthy', /removed \S+_next: the switch to it never happened/],
    ['web', 'switch:routed', /finished the switch of \S+ to its new container/],
  ];
  for (const [what, point, recovered] of points) {
    const kind = what === 'db' ? 'upgrading a stateful container' : 'switching a stateless container';
    it(`while ${kind}: ${point}`, async () => {
      const next = await bump(what);
      await crashAt(point);
      const r = await h.hiy(['apply']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, recovered);
      current = { ...current, [what]: next };
      await assertConverged(current);
    });
  }

  it('while taking a snapshot by hand: the stopped container runs again, the partial archive goes', async () => {
    await crashAt('snapshot:archived', ['snapshot', 'create', 'db']);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /started hiy-\S+-db again \(stopped for a snapshot\)/);
    assert.match(r.out, /discarded 1 incomplete snapshot/);
    await assertConverged(current);
  });

  it('while restoring a snapshot: the restore is finished', async () => {
    const container = `hiy-${h.instance}-db`;
    assert.equal((await h.hiy(['snapshot', 'create', 'db'])).code, 0);
    const [snap] = JSON.parse((await h.hiy(['snapshot', 'list', 'db', '--json'])).out).snapshots;
    await execa('podman', ['exec', container, 'sh', '-c', 'echo changed > /data/file']);
    await crashAt('restore:replacing', ['snapshot', 'restore', `${snap.volume}/${snap.id}`]);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /finished the interrupted restore/);
    await assertConverged(current);
  });
});
