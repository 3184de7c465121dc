// `hiy snapshot list|create|restore` and `hiy volume ls|rm` on real Podman volumes with real data.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';

describe('snapshot and volume commands', () => {
  let h: Harness;
  let container: string;
  let volume: string;
  const sh = (script: string) => execa('podman', ['exec', container, 'sh', '-c', script]);
  const cat = async () => (await sh('cat /data/file')).stdout.trim();

  before(async () => {
    h = await startHarness({ 'db.yaml': webPort('db', 'db.test', { volume: true }) });
    container = `hiy-${h.instance}-db`;
    volume = `hiy-${h.instance}-db-data`;
    assert.equal((await h.hiy(['apply'])).code, 0);
    await sh('mkdir -p /data/d && echo first > /data/file && echo x > /data/d/y');
  });

  after(() => h.cleanup());

  it('snapshot create stops the writer briefly, verifies, and the resource serves again', async () => {
    const r = await h.hiy(['snapshot', 'create', 'db']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /stopping hiy-\S+-db so its data is at rest/);
    assert.match(r.out, /Took and verified 1 snapshot/);
    assert.equal((await h.get('db.test')).status, 200);
    const list = JSON.parse((await h.hiy(['snapshot', 'list', 'db', '--json'])).out).snapshots;
    assert.equal(list.length, 1);
    assert.equal(list[0].reason, 'manual');
    assert.equal(list[0].files, 2);
    assert.equal(list[0].volume, volume);
    const table = await h.hiy(['snapshot', 'list']);
    assert.match(table.out, new RegExp(`${list[0].id}\\s+${volume}\\s+port/db\\s+manual\\s+2`));
  });

  it('snapshot restore puts the data back and snapshots what it replaces', async () => {
    await sh('echo second > /data/file && rm -r /data/d');
    const [snap] = JSON.parse((await h.hiy(['snapshot', 'list', 'db', '--json'])).out).snapshots;
    // A prefix of the id is no snapshot (ids are exact: docs/security.md, "Authorization"); the whole id is.
    const prefix = await h.hiy(['snapshot', 'restore', snap.id.slice(0, 18), '--json']);
    assert.equal(prefix.code, 1, prefix.out);
    assert.match(prefix.out + prefix.err, /no snapshot .*exact ids/);
    const r = await h.hiy(['snapshot', 'restore', snap.id, '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.files, 2);
    assert.deepEqual(out.restarted, [container]);
    assert.equal(await cat(), 'first');
    assert.equal((await sh('cat /data/d/y')).stdout.trim(), 'x');
    assert.equal(out.preRestore.reason, 'pre-restore');
    // The restore can be undone: the pre-restore snapshot holds "second".
    const undo = await h.hiy(['snapshot', 'restore', `${volume}/${out.preRestore.id}`]);
    assert.equal(undo.code, 0, undo.out + undo.err);
    assert.equal(await cat(), 'second');
  });

  it('snapshot restore --to-volume creates a separate volume to inspect', async () => {
    const snaps = JSON.parse((await h.hiy(['snapshot', 'list', 'db', '--json'])).out).snapshots;
    const snap = snaps.find((m: { reason: string }) => m.reason === 'manual');
    const copy = `${volume}-inspect`;
    try {
      const r = await h.hiy(['snapshot', 'restore', snap.id, '--to-volume', copy, '--json']);
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(JSON.parse(r.out).created, true);
      const ls = await execa('podman', [
        'run',
        '--rm',
        '-v',
        `${copy}:/v`,
        'localhost/hiy/busybox:latest',
        'cat',
        '/v/file',
      ]);
      assert.equal(ls.stdout.trim(), 'first');
      assert.equal(await cat(), 'second', 'the original volume is untouched');
    } finally {
      await execa('podman', ['volume', 'rm', '-f', copy], { reject: false });
    }
  });

  it('a snapshot that fails verification is refused before anything changes: no volume, no stop, no journal', async () => {
    await sh('echo second > /data/file');
    assert.equal((await h.hiy(['snapshot', 'create', 'db'])).code, 0);
    const [snap] = JSON.parse((await h.hiy(['snapshot', 'list', 'db', '--json'])).out).snapshots;
    const dir = join(h.dataDir, 'snapshots', snap.volume, snap.id);
    const copy = `${volume}-corrupt`;
    const startedAt = async () =>
      (await execa('podman', ['inspect', '--format', '{{.State.StartedAt}}', container])).stdout;
    try {
      // One byte of file data flipped: the archive still parses, only its checksum can tell.
      const file = join(dir, 'archive.tar');
      const bytes = await readFile(file);
      const at = bytes.indexOf(Buffer.from('second\n'));
      assert.ok(at > 0, 'the archive holds the file data');
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
      await writeFile(file, bytes);
      const started = await startedAt();
      for (const args of [[], ['--to-volume', copy]]) {
        const r = await h.hiy(['snapshot', 'restore', `${snap.volume}/${snap.id}`, ...args]);
        assert.equal(r.code, 1, r.out + r.err);
        assert.match(r.err, /failed verification: archive checksum/);
        assert.doesNotMatch(r.out, /stopping|creating volume/, 'nothing was stopped or created');
        // Nothing was journaled: there is nothing for the next run to recover.
        assert.equal(existsSync(join(h.dataDir, 'journal.jsonl')), false);
      }
      assert.equal((await execa('podman', ['volume', 'exists', copy], { reject: false })).exitCode, 1);
      assert.equal(await startedAt(), started, 'the container was never stopped');
      assert.equal(await cat(), 'second', 'the volume is untouched');
      const next = await h.hiy(['apply']);
      assert.equal(next.code, 0, next.out + next.err);
      assert.doesNotMatch(next.out, /recovering/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await execa('podman', ['volume', 'rm', '-f', copy], { reject: false });
    }
  });

  it('volume rm refuses while the state repo declares the volume, and without the exact confirmation', async () => {
    let r = await h.hiy(['volume', 'rm', volume, '--confirm', volume]);
    assert.equal(r.code, 1);
    assert.match(r.err, /still declares/);
    await h.commit({ 'db.yaml': null });
    // Removing the only resource is a mass delete: refused unless asked for (and the volume is kept anyway).
    assert.equal((await h.hiy(['apply'])).code, 1);
    assert.equal((await h.hiy(['apply', '--allow-mass-delete'])).code, 0);
    const ls = JSON.parse((await h.hiy(['volume', 'ls', '--json'])).out);
    assert.deepEqual(
      ls.volumes.map((v: { name: string; declared: boolean }) => [v.name, v.declared]),
      [[volume, false]],
    );
    assert.match((await h.hiy(['volume', 'ls'])).out, /retained/);
    for (const confirm of [[], ['--confirm', 'yes'], ['--confirm', `${volume}x`]]) {
      r = await h.hiy(['volume', 'rm', volume, ...confirm]);
      assert.equal(r.code, 1);
      assert.match(r.err, /confirm with --confirm/);
    }
    assert.deepEqual(await instanceObjects('volumes', h.instance, '{{.Name}}'), [volume]);
  });

  it('volume rm takes a verified final snapshot first; restoring it brings the volume back', async () => {
    const r = await h.hiy(['volume', 'rm', volume, '--confirm', volume, '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const { finalSnapshot } = JSON.parse(r.out);
    assert.equal(finalSnapshot.reason, 'pre-delete');
    assert.deepEqual(await instanceObjects('volumes', h.instance, '{{.Name}}'), []);
    const back = await h.hiy(['snapshot', 'restore', `${volume}/${finalSnapshot.id}`]);
    assert.equal(back.code, 0, back.out + back.err);
    assert.deepEqual(await instanceObjects('volumes', h.instance, '{{.Name}}'), [volume]);
    // Declared again, the resource finds its data.
    await h.commit({ 'db.yaml': webPort('db', 'db.test', { volume: true }) });
    assert.equal((await h.hiy(['apply'])).code, 0);
    assert.equal(await cat(), 'second');
  });

  it('snapshots.keep sets the retention, applied after a successful upgrade', async () => {
    const keepOne = (greeting: string) =>
      `${webPort('db', 'db.test', { volume: true, env: { GREETING: greeting } })}  snapshots:\n    keep: 1\n`;
    for (const greeting of ['k1', 'k2']) {
      await h.commit({ 'db.yaml': keepOne(greeting) });
      const r = await h.hiy(['apply']);
      assert.equal(r.code, 0, r.out + r.err);
    }
    const snaps = JSON.parse((await h.hiy(['snapshot', 'list', volume, '--json'])).out).snapshots;
    assert.equal(snaps.length, 1, 'only the newest snapshot of the volume is kept');
    assert.equal(snaps[0].reason, 'upgrade');
    assert.equal(snaps[0].imageAfter, 'localhost/hiy/busybox:latest');
  });
});
