// The reconciler on real Podman and a real Caddy: apply from empty, idempotence, changes, removal, bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';
import { freePort } from '../support/ports.js';

describe('reconciler on real Podman and Caddy', () => {
  let h: Harness;
  let stranger: string;

  before(async () => {
    h = await startHarness({ 'greeter.yaml': webPort('greeter', 'greeter.test', { volume: true }) });
    // An unlabelled container that looks like HIY's: it must never be touched.
    stranger = `hiy-${h.instance}-stranger`;
    await execa('podman', ['run', '-d', '--name', stranger, 'localhost/hiy/busybox:latest', 'sleep', '600']);
  });

  after(async () => {
    await execa('podman', ['rm', '-f', '-t', '0', stranger], { reject: false });
    await h.cleanup();
  });

  it('plans creation with Terraform-style output and exit code 2', async () => {
    const r = await h.hiy(['plan', '--detailed-exitcode']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.out, /\+ volume hiy-.*-greeter-data/);
    assert.match(r.out, /\+ container hiy-.*-greeter/);
    assert.match(r.out, /Plan: 4 to add, 0 to change, 0 to replace, 0 to destroy\./);
  });

  it('applies from empty: the route serves through Caddy and the volume exists', async () => {
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Apply complete/);
    const res = await h.get('greeter.test');
    assert.equal(res.status, 200);
    assert.equal(res.body.trim(), 'greeter:hello');
    assert.deepEqual(await instanceObjects('volumes', h.instance, '{{.Name}}'), [
      `hiy-${h.instance}-greeter-data`,
    ]);
  });

  it('re-applies with zero actions, reads in exactly 3 calls and writes nothing', async () => {
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /No changes/);
    assert.deepEqual(r.calls, { podman: 2, caddy: 1 });
    const p = await h.hiy(['plan', '--detailed-exitcode']);
    assert.equal(p.code, 0);
  });

  it('status lists the resource, its container, route and commit (human and --json)', async () => {
    const head = (await execa('git', ['-C', h.stateDir, 'rev-parse', 'HEAD'])).stdout.trim();
    const j = await h.hiy(['status', '--json']);
    assert.equal(j.code, 0, j.err);
    const view = JSON.parse(j.out);
    assert.equal(view.lastAppliedCommit, head);
    assert.equal(view.resources.length, 1);
    assert.equal(view.resources[0].id, 'port/greeter');
    assert.equal(view.resources[0].container.state, 'running');
    assert.deepEqual(view.resources[0].routes, ['greeter.test/']);
    const human = await h.hiy(['status']);
    assert.match(human.out, /port\/greeter\s+hiy-\S+-greeter\s+running/);
  });

  it('uncommitted edits are not applied', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      `${h.stateDir}/greeter.yaml`,
      webPort('greeter', 'greeter.test', { volume: true, env: { GREETING: 'draft' } }),
    );
    const p = await h.hiy(['plan', '--detailed-exitcode']);
    assert.equal(p.code, 0, p.out);
  });

  it('an env var change replaces the container; data in the volume survives', async () => {
    await execa('podman', ['exec', `hiy-${h.instance}-greeter`, 'sh', '-c', 'echo keep > /data/file']);
    await h.commit({
      'greeter.yaml': webPort('greeter', 'greeter.test', { volume: true, env: { GREETING: 'bonjour' } }),
    });
    const p = await h.hiy(['plan']);
    assert.match(p.out, /-\/\+ container/);
    assert.match(p.out, /\/env\/GREETING: "hello" → "bonjour"/);
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal((await h.get('greeter.test')).body.trim(), 'greeter:bonjour');
    const data = await execa('podman', ['exec', `hiy-${h.instance}-greeter`, 'cat', '/data/file']);
    assert.equal(data.stdout.trim(), 'keep');
  });

  it('records a release per applied change, listed newest first', async () => {
    const head = (await execa('git', ['-C', h.stateDir, 'rev-parse', 'HEAD'])).stdout.trim();
    const r = await h.hiy(['releases', 'greeter', '--json']);
    assert.equal(r.code, 0, r.err);
    const view = JSON.parse(r.out);
    assert.equal(view.resource, 'port/greeter');
    assert.deepEqual(
      view.releases.map((x: { number: number }) => x.number),
      [2, 1],
    );
    assert.equal(view.releases[0].stateCommit, head);
    assert.equal(view.releases[0].run.env.GREETING, 'bonjour');
    const human = await h.hiy(['releases', 'port/greeter']);
    assert.match(human.out, /RELEASE\s+APPLIED\s+STATE COMMIT/);
  });

  it('a saved plan is applied exactly, and refused once the box moved', async () => {
    await h.commit({ 'web2.yaml': webPort('web2', 'web2.test') });
    const file = `${h.root}/plan.json`;
    const p = await h.hiy(['plan', '--out', file]);
    assert.equal(p.code, 0, p.err);
    await execa('podman', ['stop', '-t', '0', `hiy-${h.instance}-greeter`]);
    const refused = await h.hiy(['apply', file]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /the box changed since the plan was made/);
    assert.equal((await h.hiy(['apply'])).code, 0);
    const p2 = await h.hiy(['plan', '--out', file]);
    assert.match(p2.out, /No changes/);
    await h.commit({ 'README.md': 'moved\n' });
    const stale = await h.hiy(['apply', file]);
    assert.equal(stale.code, 1);
    assert.match(stale.err, /the state repo moved/);
    assert.equal((await h.get('web2.test')).status, 200);
    assert.equal((await h.get('greeter.test')).status, 200);
  });

  it('invalid state repos: exit 1, every error listed with file:line, nothing applied', async () => {
    const bad1 = webPort('greeter', 'greeter.test', { volume: true }).replace(
      '  stopGracePeriod: 1s',
      '  stopGracePeriod: 1s\n  colour: blue',
    );
    await h.commit({
      'greeter.yaml': bad1,
      'broken.yaml':
        'apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: Bad_Name\nspec:\n  image: x\n  routes:\n    - host: greeter.test\n      port: "80"\n',
    });
    const before = await instanceObjects('containers', h.instance, '{{.ID}}');
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 1);
    assert.match(r.err, /greeter\.yaml:\d+:\d+: spec\.colour: unknown field "colour"/);
    assert.match(r.err, /broken\.yaml:4:\d+: metadata\.name/);
    assert.match(r.err, /broken\.yaml:9:\d+: spec\.routes\[0\]\.port/);
    assert.match(r.err, /nothing was applied/);
    const v = await h.hiy(['validate', '--json']);
    assert.equal(v.code, 1);
    assert.ok(JSON.parse(v.out).diagnostics.length >= 3);
    const after = await instanceObjects('containers', h.instance, '{{.ID}}');
    assert.deepEqual(after.sort(), before.sort());
    await h.commit({
      'greeter.yaml': webPort('greeter', 'greeter.test', { volume: true, env: { GREETING: 'bonjour' } }),
      'broken.yaml': null,
    });
  });

  it('unreachable Caddy or Podman: a clear error and nothing deleted', async () => {
    await h.commit({ 'greeter.yaml': null }, 'remove greeter');
    const dead = `http://127.0.0.1:${await freePort()}`;
    const r = await h.hiy(['apply'], { HIY_CADDY_ADMIN: dead });
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`cannot observe.*${dead.replace(/[.:/]/g, '\\$&')}`));
    const noPodman = await h.hiy(['apply'], { HIY_PODMAN: '/nonexistent/podman' });
    assert.equal(noPodman.code, 1);
    assert.match(noPodman.err, /podman/i);
    assert.equal((await h.get('greeter.test')).status, 200);
  });

  it('removing a resource removes its container and route but keeps its volume', async () => {
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /- container hiy-\S+-greeter/);
    assert.match(r.out, /Retained volumes/);
    const names = await instanceObjects('containers', h.instance, '{{.Names}}');
    assert.deepEqual(names, [`hiy-${h.instance}-web2`]);
    const vols = await instanceObjects('volumes', h.instance, '{{.Name}}');
    assert.deepEqual(vols, [`hiy-${h.instance}-greeter-data`]);
    assert.notEqual((await h.get('greeter.test')).body.trim(), 'greeter:bonjour');
    const again = await h.hiy(['apply']);
    assert.match(again.out, /No changes/);
    assert.match(
      again.out,
      /hiy-\S+-greeter-data: port\/greeter was removed from the state repo; its data is kept/,
    );
  });

  it('refuses to remove most managed resources at once unless --allow-mass-delete', async () => {
    await h.commit({ 'web2.yaml': null }, 'remove everything');
    const refused = await h.hiy(['apply']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /refusing to remove 1 of the 1 resources.*--allow-mass-delete/);
    assert.equal((await h.get('web2.test')).status, 200);
    const allowed = await h.hiy(['apply', '--allow-mass-delete']);
    assert.equal(allowed.code, 0, allowed.out + allowed.err);
    const names = await instanceObjects('containers', h.instance, '{{.Names}}');
    assert.deepEqual(names, []);
  });

  it('never touches an unlabelled container', async () => {
    const state = (
      await execa('podman', ['inspect', '--format', '{{.State.Status}}', stranger])
    ).stdout.trim();
    assert.equal(state, 'running');
  });
});
