// kill -9 of `hiy apply` at each interruptible step, and while each external call is under way, then `hiy apply`
// again: converged, no orphans, data intact.
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';

const MAIN = join(import.meta.dirname, '../support/hiy-cli.ts');

/** The stateful Port; `graceSeconds` is how long `podman stop` waits for it (busybox httpd ignores SIGTERM). */
function db(greeting: string, graceSeconds = 1): string {
  return webPort('db', 'db.test', { volume: true, env: { GREETING: greeting } }).replace(
    'stopGracePeriod: 1s',
    `stopGracePeriod: ${graceSeconds}s`,
  );
}

function web(text: string): string {
  return webPort('web', 'web.test', { text });
}

describe('crash-safe apply (kill -9 at each step)', () => {
  let h: Harness;
  let version = 1;

  /**
   * Runs `hiy apply` as a real process that SIGKILLs itself at `point`. It leads its own process group, so an
   * in-flight point (crashDuring) kills the podman process under way with it, as systemd kills a service.
   */
  const crashAt = async (point: string, args = ['apply'], env: NodeJS.ProcessEnv = {}) => {
    const r = await execa('node', ['--import', 'tsx', MAIN, ...args], {
      env: { ...h.env, HIY_TEST_CRASH_AT: point, ...env },
      reject: false,
      detached: true,
    });
    assert.equal(r.signal, 'SIGKILL', `hiy apply was not killed at ${point}: ${r.stdout}\n${r.stderr}`);
  };

  /**
   * conmon processes of this instance whose container Podman no longer knows: what `podman rm -f` of a
   * container left `stopping` (or half-created) leaves behind, its process running and its host ports bound.
   */
  const leakedConmons = async () => {
    const ids = new Set(
      (await execa('podman', ['ps', '-a', '--no-trunc', '--format', '{{.ID}}'])).stdout.split('\n'),
    );
    const ps = await execa('ps', ['-eo', 'pid=,args=']);
    return ps.stdout
      .split('\n')
      .map((line) => /^\s*(\d+) \S*conmon .*-c ([0-9a-f]{64}) .*-n (\S+)/.exec(line))
      .filter((m): m is RegExpExecArray => !!m && m[3]!.startsWith(`hiy-${h.instance}-`) && !ids.has(m[2]!))
      .map((m) => ({ pid: Number(m[1]), name: m[3]! }));
  };

  /** What Podman says of a container's state (`stopping`, `running`…), or undefined when it is gone. */
  const podmanState = async (name: string) => {
    const r = await execa('podman', ['inspect', '--format', '{{.State.Status}}', name], { reject: false });
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
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
    assert.deepEqual(await leakedConmons(), [], 'no container process outlives its container');
  };

  /** Commits a new version of db (stateful, stop-first) or web (stateless, start-first). */
  const bump = async (what: 'db' | 'web', dbGraceSeconds = 1) => {
    version++;
    await h.commit(
      what === 'db' ? { 'db.yaml': db(`v${version}`, dbGraceSeconds) } : { 'web.yaml': web(`w${version}`) },
    );
    return what === 'db' ? `v${version}` : `w${version}`;
  };

  /** `hiy apply` as a user runs it after the crash: exits 0 and says what it recovered. */
  const applyRecovering = async (recovered?: RegExp) => {
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    if (recovered) assert.match(r.out, recovered);
    return r;
  };

  let current = { db: 'v1', web: 'w1' };

  before(async () => {
    h = await startHarness({ 'db.yaml': db('v1'), 'web.yaml': web('w1') });
  });

  after(async () => {
    // A leak the assertions caught must not outlive the test: the container process first, then its conmon.
    for (const { pid } of await leakedConmons().catch(() => [])) {
      const children = await execa('ps', ['-o', 'pid=', '--ppid', String(pid)], { reject: false });
      for (const child of children.stdout.split('\n').filter(Boolean)) process.kill(Number(child), 'SIGKILL');
      process.kill(pid, 'SIGKILL');
    }
    await h.cleanup();
  });

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
  // Killed while an external call is under way (crashDuring): the podman process dies half-way with hiy.
  const inFlight: ['db' | 'web', string, RegExp][] = [
    ['db', 'snapshot:export', /interrupted before any change; started the old version again/],
    [
      'db',
      'replace:rename',
      /interrupted before the old version was parked; started it again|undid the interrupted upgrade/,
    ],
    ['db', 'replace:run', /undid the interrupted upgrade of \S+: the old version runs again with the data/],
    ['db', 'replace:rm', /upgrade of \S+ had succeeded; removed the parked old container/],
    ['web', 'run:run', /removed \S+_next, left half-created or unproven/],
    ['web', 'caddy:load', /removed \S+_next: the switch to it never happened/],
    ['web', 'switch:rm', /finished the switch of \S+ to its new container/],
    ['web', 'switch:rename', /finished the switch of \S+ to its new container/],
  ];
  for (const [what, point, recovered] of inFlight) {
    it(`while a call is under way: ${point}`, async () => {
      const next = await bump(what);
      await crashAt(point);
      await applyRecovering(recovered);
      current = { ...current, [what]: next };
      await assertConverged(current);
    });
  }

  it('while podman stop of a stop-first upgrade is under way: the stop is finished, never wedged', async () => {
    const container = `hiy-${h.instance}-db`;
    // A grace period long enough to kill hiy (and its podman stop) surely in the middle of the stop.
    current = { ...current, db: await bump('db', 5) };
    await applyRecovering();
    const next = await bump('db', 5);
    await crashAt('replace:stop', ['apply'], { HIY_TEST_CRASH_DELAY_MS: '2000' });
    // What the bug report saw: Podman leaves the container `stopping`, and refuses to start it.
    assert.equal(await podmanState(container), 'stopping');
    const start = await execa('podman', ['start', container], { reject: false });
    assert.match(start.stderr, /container state improper/);
    // hiy status does not call it ready.
    const status = JSON.parse((await h.hiy(['status', '--json'])).out);
    const dbStatus = status.resources.find((r: { id: string }) => r.id === 'port/db');
    assert.equal(dbStatus.container.state, 'stopping');
    const ready = dbStatus.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.deepEqual([ready.status, ready.reason], ['False', 'NotRunning']);
    await applyRecovering(
      /upgrade of \S+ interrupted before any change; finished the stop cut short \(stopping\) and started the old version again/,
    );
    current = { ...current, db: next };
    await assertConverged(current);
  });

  it('while podman stop for a snapshot by hand is under way: the container runs again', async () => {
    const container = `hiy-${h.instance}-db`;
    await crashAt('stopped:stop', ['snapshot', 'create', 'db'], { HIY_TEST_CRASH_DELAY_MS: '2000' });
    assert.equal(await podmanState(container), 'stopping');
    await applyRecovering(
      /finished the stop cut short \(stopping\) and started hiy-\S+-db again \(stopped for a snapshot\)/,
    );
    await assertConverged(current);
    // Back to a short grace period for the cases after this one.
    current = { ...current, db: await bump('db') };
    await applyRecovering();
    await assertConverged(current);
  });

  it('while podman start of a stopped container is under way', async () => {
    await execa('podman', ['stop', '-t', '0', `hiy-${h.instance}-web`]);
    await crashAt('start:start');
    await applyRecovering();
    await assertConverged(current);
  });

  it('while podman volume create and podman rm of a removed resource are under way', async () => {
    await h.commit({ 'tmp.yaml': webPort('tmp', 'tmp.test', { volume: true }) });
    await crashAt('volume:create');
    await applyRecovering();
    assert.equal((await h.hiy(['plan', '--detailed-exitcode'])).code, 0);
    assert.equal((await h.get('tmp.test')).body.trim(), 'tmp:hello');
    await h.commit({ 'tmp.yaml': null });
    await crashAt('delete:rm');
    await applyRecovering();
    // The removed resource's volume is retained, as always; deleting it is an explicit act.
    const volume = `hiy-${h.instance}-tmp-data`;
    assert.equal((await h.hiy(['volume', 'rm', volume, '--confirm', volume])).code, 0);
    await assertConverged(current);
  });

  it('while podman volume import of a restore is under way: the restore is finished', async () => {
    const container = `hiy-${h.instance}-db`;
    assert.equal((await h.hiy(['snapshot', 'create', 'db'])).code, 0);
    const [snap] = JSON.parse((await h.hiy(['snapshot', 'list', 'db', '--json'])).out).snapshots;
    await execa('podman', ['exec', container, 'sh', '-c', 'echo changed > /data/file']);
    await crashAt('restore:import', ['snapshot', 'restore', `${snap.volume}/${snap.id}`]);
    await applyRecovering(/finished the interrupted restore/);
    await assertConverged(current);
  });
});
