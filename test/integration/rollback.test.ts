// Rollback and downgrade with real Podman volumes: releases redeployed, data restored, pins kept and lifted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../support/hiy.js';

function db(greeting: string): string {
  return webPort('db', 'db.test', { volume: true, env: { GREETING: greeting } });
}

describe('hiy rollback', () => {
  let h: Harness;
  let container: string;
  const cat = async () => (await execa('podman', ['exec', container, 'cat', '/data/file'])).stdout.trim();
  const write = (text: string) =>
    execa('podman', ['exec', container, 'sh', '-c', `echo ${text} > /data/file`]);
  const serving = async (host: string) => (await h.get(host)).body.trim();
  const releases = async (name: string) =>
    JSON.parse((await h.hiy(['releases', name, '--json'])).out).releases;

  before(async () => {
    h = await startHarness({ 'db.yaml': db('v1'), 'web.yaml': webPort('web', 'web.test', { text: 'w1' }) });
    container = `hiy-${h.instance}-db`;
    assert.equal((await h.hiy(['apply'])).code, 0);
    await write('one');
    await h.commit({ 'db.yaml': db('v2') });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    await write('two');
    assert.equal(await serving('db.test'), 'db:v2');
  });

  after(() => h.cleanup());

  it('without --with-data redeploys the previous release, keeps the current data and pins it', async () => {
    const r = await h.hiy(['rollback', 'db']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Rolled port\/db back from release 2 to release 1/);
    assert.equal(await serving('db.test'), 'db:v1');
    assert.equal(await cat(), 'two', 'data is not touched without --with-data');
    const rel = await releases('db');
    assert.equal(rel[0].cause, 'rollback');
    assert.equal(rel[0].rolledBackTo, 1);
    assert.equal(rel[0].snapshots.length, 1, 'the current data was snapshotted before the rollback');
    // Pinned: applies leave it alone although the state repo says v2.
    const plan = await h.hiy(['plan', '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.out);
    assert.match(plan.out, /Pinned: port\/db stays at release 1/);
    const status = JSON.parse((await h.hiy(['status', '--json'])).out);
    const rec = status.resources.find((x: { id: string }) => x.id === 'port/db');
    assert.equal(rec.pinned.release, 1);
    assert.equal(rec.pending, false);
    assert.equal((await h.hiy(['apply'])).code, 0);
    assert.equal(await serving('db.test'), 'db:v1');
  });

  it('hiy unpin lets the state repo decide again', async () => {
    const r = await h.hiy(['unpin', 'db']);
    assert.equal(r.code, 0);
    assert.match(r.out, /Unpinned port\/db/);
    const plan = await h.hiy(['plan', '--detailed-exitcode']);
    assert.equal(plan.code, 2);
    assert.match(plan.out, /container\/hiy-\S+-db must be replaced/);
    assert.equal((await h.hiy(['apply'])).code, 0);
    assert.equal(await serving('db.test'), 'db:v2');
    assert.equal(await cat(), 'two');
  });

  it('--with-data restores the data of the release it goes back to, and can itself be undone', async () => {
    // Releases: 1 v1, 2 v2, 3 rollback to 1, 4 v2 again. Back to 1 with the data release 2's upgrade saved.
    await write('three');
    const r = await h.hiy(['rollback', 'db', '--to', '1', '--with-data']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /restoring hiy-\S+-db-data from snapshot/);
    assert.equal(await serving('db.test'), 'db:v1');
    assert.equal(await cat(), 'one', 'the data v1 had before its upgrade');
    const rel = await releases('db');
    assert.equal(rel[0].number, 5);
    assert.equal(rel[0].restoredSnapshots.length, 1);
    // Undo the rollback: back to release 4 with the data the rollback snapshotted first.
    const undo = await h.hiy(['rollback', 'db', '--to', '4', '--with-data']);
    assert.equal(undo.code, 0, undo.out + undo.err);
    assert.equal(await serving('db.test'), 'db:v2');
    assert.equal(await cat(), 'three');
  });

  it('a change of the resource in the state repo lifts the pin', async () => {
    await h.commit({ 'db.yaml': db('v3') });
    const plan = await h.hiy(['plan']);
    assert.match(plan.out, /Pin lifted: the state repo changed port\/db/);
    assert.equal((await h.hiy(['apply'])).code, 0);
    assert.equal(await serving('db.test'), 'db:v3');
    assert.equal(await cat(), 'three');
    const status = JSON.parse((await h.hiy(['status', '--json'])).out);
    assert.equal(status.resources.find((x: { id: string }) => x.id === 'port/db').pinned, undefined);
  });

  it('a stateless rollback switches without failed requests and leaves other pending changes alone', async () => {
    await h.commit({ 'web.yaml': webPort('web', 'web.test', { text: 'w2' }) });
    assert.equal((await h.hiy(['apply'])).code, 0);
    assert.equal(await serving('web.test'), 'w2:hello');
    // A pending change of db must not be applied by a rollback of web.
    await h.commit({ 'db.yaml': db('v4') });
    const r = await h.hiy(['rollback', 'web']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(await serving('web.test'), 'w1:hello');
    assert.equal(await serving('db.test'), 'db:v3', 'db keeps its pending change pending');
    const plan = await h.hiy(['plan', '--json']);
    const actions = JSON.parse(plan.out).actions.map((a: { resource: string }) => a.resource);
    assert.deepEqual([...new Set(actions)], ['port/db']);
  });

  it('refuses what it cannot do, and changes nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['rollback', 'nope'], /no App or Port named nope/],
      [['rollback', 'db', '--to', '99'], /has no release 99/],
      [['rollback', 'db', '--to', 'x'], /--to takes a release number/],
      [['rollback', 'web', '--to', '1', '--with-data'], /has no volumes/],
    ];
    for (const [args, message] of cases) {
      const r = await h.hiy(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.err, message);
    }
    assert.equal(await serving('db.test'), 'db:v3');
  });
});
