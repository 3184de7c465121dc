// The daemon on the fake engine: startup and resync runs converge the box, a commit is applied, events written.
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ControllerEvent } from '../../../src/model/events.js';
import { type Daemon, startDaemon } from '../../../src/reconcile/index.js';
import { EventLog } from '../../../src/store/events.js';
import { StatusStore } from '../../../src/store/status.js';
import { type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';
import { waitFor } from '../../support/ports.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('daemon on the fake engine', () => {
  let w: FakeWorld;
  let daemon: Daemon | undefined;
  let head: string;
  const heard: ControllerEvent[] = [];
  const containers = async () =>
    Object.fromEntries((await w.podman.listContainers({})).map((c) => [c.name, c.state]));
  const events = () => new EventLog(w.dataDir).read();
  const finishedFor = async (commit: string) =>
    (await events()).some((e) => e.type === 'reconcile.finished' && e.data?.commit === commit);

  before(async () => {
    w = await fakeEngine({
      files: {
        'db.yaml': portYaml('db', { volume: true }),
        'web.yaml': portYaml('web', { host: 'web.test', env: { TEXT: 'w1' } }),
      },
    });
    head = await w.commit({}, 'head');
    // No plug-ins; a resync once a year, so every run here is the startup's, a commit's or one we enqueue.
    daemon = await startDaemon({ engine: w.engine, resync: '0 0 1 1 *', plugins: [] });
    daemon.subscribe((e) => heard.push(e));
  });
  after(async () => {
    await daemon?.stop();
    await w.cleanup();
  });

  it('the startup run converges the box and records it', async () => {
    await waitFor(() => finishedFor(head), { what: 'the startup run to finish' });
    assert.deepEqual(await containers(), { 'hiy-unit-db': 'running', 'hiy-unit-web': 'running' });
    assert.deepEqual(
      (await w.podman.listVolumes({})).map((v) => v.name),
      ['hiy-unit-db-data'],
    );
    const status = await new StatusStore(w.dataDir).read();
    assert.equal(status.lastAppliedCommit, head);
    const types = (await events()).map((e) => e.type);
    assert.ok(types.includes('reconcile.started'), types.join(', '));
    const runtime = JSON.parse(await readFile(join(w.dataDir, 'daemon.json'), 'utf8'));
    assert.deepEqual([runtime.pid, runtime.stateRepo], [process.pid, w.stateDir]);
  });

  it('a resync on a converged box does nothing and still tells subscribers', async () => {
    const config = await w.caddy.getConfig();
    const logged = (await events()).length;
    const outcome = await daemon!.enqueue({ kind: 'resync', detail: 'test' });
    assert.deepEqual(outcome, { ok: true, commit: head, actions: 0 });
    assert.deepEqual(await w.caddy.getConfig(), config);
    assert.equal((await events()).length, logged, 'a no-op run is not written to the history');
    assert.ok(heard.some((e) => e.type === 'reconcile.finished' && e.data?.actions === 0));
  });

  it('a new commit on the state repo is applied without being asked', async () => {
    const next = await w.commit({ 'web.yaml': portYaml('web', { host: 'web.test', env: { TEXT: 'w2' } }) });
    await waitFor(() => finishedFor(next), { what: 'the commit to be applied' });
    assert.equal(w.podman.containerEnv('hiy-unit-web')?.TEXT, 'w2');
    assert.equal((await new StatusStore(w.dataDir).read()).lastAppliedCommit, next);
    head = next;
  });

  it('a container removed behind HIY’s back comes back at the next resync', async () => {
    await w.podman.removeContainer('hiy-unit-web', 0);
    const outcome = await daemon!.enqueue({ kind: 'resync' });
    assert.equal(outcome.ok, true, outcome.error);
    assert.ok(outcome.actions > 0);
    assert.deepEqual(await containers(), { 'hiy-unit-db': 'running', 'hiy-unit-web': 'running' });
    assert.equal(w.podman.containerEnv('hiy-unit-web')?.TEXT, 'w2');
  });

  it('a mass delete is refused: nothing is removed, the error is recorded', async () => {
    const emptied = await w.commit({ 'db.yaml': null, 'web.yaml': null });
    const outcome = await daemon!.enqueue({ kind: 'resync' });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.commit, emptied);
    assert.match(outcome.error ?? '', /refusing to remove 2 of the 2 resources/);
    assert.deepEqual(await containers(), { 'hiy-unit-db': 'running', 'hiy-unit-web': 'running' });
    const status = await new StatusStore(w.dataDir).read();
    assert.match(status.lastError ?? '', /refusing to remove/);
    assert.equal(status.lastAppliedCommit, head);
    const failed = (await events()).filter((e) => e.type === 'reconcile.failed');
    assert.equal(failed.length, 1, 'recorded once, not at every run while it lasts');
  });

  it('stops cleanly: no pid file, no runtime file', async () => {
    await daemon!.stop();
    assert.equal(await exists(join(w.dataDir, 'daemon.pid')), false);
    assert.equal(await exists(join(w.dataDir, 'daemon.json')), false);
    assert.ok(daemon!.runs >= 4, `${daemon!.runs} runs`);
  });
});
