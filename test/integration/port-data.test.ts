// Data versions on real Podman: an upgrade to a higher data version runs dump, a verified snapshot and migrate;
// a failing migration restores the data and the old version; a downgrade is refused by the plan, and
// `hiy rollback --to N --with-data` brings the old data back.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { listSnapshots } from '../../src/snapshots/snapshot.js';
import { buildBusyboxPort } from '../support/busyboxPort.js';
import { type Harness, startHarness } from '../support/hiy.js';

const SERVE = '[ -f /data/layout ] || echo v1-layout > /data/layout; exec httpd -f -p 8080 -h /data';

function declaration(dataVersion: number, migrate?: string) {
  return {
    contract: 'v1',
    name: 'keeper',
    version: `${dataVersion}.0.0`,
    dataVersion,
    description: 'keeps a file whose layout changes',
    volumes: [{ name: 'data', mountPath: '/data', description: 'the layout file' }],
    ports: [{ containerPort: 8080, description: 'the file over HTTP', http: true }],
    healthcheck: { http: { path: '/layout', port: 8080 }, interval: '1s', timeout: '20s' },
    hooks: {
      dump: ['/bin/sh', '-c', 'echo "dumped by $HIY_HOOK" > /data/dump.txt'],
      ...(migrate && { migrate: ['/bin/sh', '-c', migrate, 'migrate'] }),
    },
  };
}

const portYaml = (image: string) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: keeper
spec:
  image: ${image}
  routes:
    - { host: keeper.test, port: 8080 }
  stopGracePeriod: 1s
`;

describe('port data versions on real Podman', () => {
  let h: Harness;
  const tag = (t: string) => `localhost/hiy-test/${h.instance}-keeper:${t}`;
  const layout = async () => (await h.get('keeper.test', '/layout')).body.trim();
  const volume = () => `hiy-${h.instance}-keeper-data`;

  before(async () => {
    h = await startHarness();
    await buildBusyboxPort(h.instance, tag('1'), SERVE, declaration(1));
    await buildBusyboxPort(
      h.instance,
      tag('2'),
      SERVE,
      declaration(
        2,
        'test "$1:$2:$HIY_DATA_VERSION_TO" = 1:2:2 && sed -i s/v1-layout/v2-layout/ /data/layout',
      ),
    );
    await buildBusyboxPort(
      h.instance,
      tag('2-bad'),
      SERVE,
      declaration(2, 'echo garbage > /data/layout; echo "cannot read the v1 layout" >&2; exit 1'),
    );
  });
  after(async () => {
    await h.cleanup();
  });

  it('version 1 runs and its data version is recorded', async () => {
    await h.commit({ 'ports/keeper.yaml': portYaml(tag('1')) });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.err);
    assert.equal(await layout(), 'v1-layout');
    const versions = JSON.parse(await readFile(join(h.dataDir, 'data-versions.json'), 'utf8'));
    assert.equal(versions[volume()].version, 1);
  });

  it('a failing migration restores the data and the old version keeps serving, with the hook output', async () => {
    await h.commit({ 'ports/keeper.yaml': portYaml(tag('2-bad')) });
    const r = await h.hiy(['apply']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /the migrate hook of port keeper 2\.0\.0 failed from data version 1 to 2 \(exit 1\)/);
    assert.match(r.err, /cannot read the v1 layout/);
    assert.equal(await layout(), 'v1-layout');
    // The hook's output is kept where people look later: the status and the events.
    const status = JSON.parse((await h.hiy(['status', '--json'])).out);
    const keeper = status.resources.find((x: { id: string }) => x.id === 'port/keeper');
    assert.match(keeper.lastError, /migrate hook .* cannot read the v1 layout/s);
    const events = JSON.parse((await h.hiy(['events', '--json'])).out) as { type: string; message: string }[];
    assert.ok(
      events.some((e) => e.type === 'resource.failed' && e.message.includes('cannot read the v1 layout')),
      JSON.stringify(events.map((e) => e.type)),
    );
  });

  it('an upgrade to data version 2 dumps, snapshots (verified, dump inside, version 1), then migrates', async () => {
    await h.commit({ 'ports/keeper.yaml': portYaml(tag('2')) });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.err);
    assert.equal(await layout(), 'v2-layout');
    const [latest] = await listSnapshots({ podman: undefined as never, dataDir: h.dataDir }, volume());
    assert.equal(latest?.dataVersion, 1);
    const archive = join(h.dataDir, 'snapshots', volume(), latest!.id, 'archive.tar');
    const { stdout } = await execa('tar', ['-xOf', archive, './dump.txt']).catch(() =>
      execa('tar', ['-xOf', archive, 'dump.txt']),
    );
    assert.equal(stdout.trim(), 'dumped by dump');
    const versions = JSON.parse(await readFile(join(h.dataDir, 'data-versions.json'), 'utf8'));
    assert.equal(versions[volume()].version, 2);
  });

  it('hiy snapshot create runs the dump hook first and records the data version in the manifest', async () => {
    await execa('podman', ['exec', `hiy-${h.instance}-keeper`, 'rm', '-f', '/data/dump.txt']);
    const r = await h.hiy(['snapshot', 'create', 'keeper']);
    assert.equal(r.code, 0, r.err);
    const [latest] = await listSnapshots({ podman: undefined as never, dataDir: h.dataDir }, volume());
    assert.equal(latest?.reason, 'manual');
    assert.equal(latest?.dataVersion, 2);
    const archive = join(h.dataDir, 'snapshots', volume(), latest!.id, 'archive.tar');
    const { stdout } = await execa('tar', ['-tf', archive]);
    assert.match(stdout, /dump\.txt/);
  });

  it('a downgrade is refused by the plan, naming the release and the rollback command', async () => {
    await h.commit({ 'ports/keeper.yaml': portYaml(tag('1')) });
    const r = await h.hiy(['plan']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.err,
      /ports\/keeper\.yaml:6:\d+: spec\.image: port keeper 1\.0\.0 keeps data of version 1/,
    );
    assert.match(
      r.err,
      /release 1 \(.*\) holds data of version 1 \(snapshot .*\): hiy rollback keeper --to 1 --with-data/,
    );
    const apply = await h.hiy(['apply']);
    assert.notEqual(apply.code, 0);
    assert.equal(await layout(), 'v2-layout', 'nothing changed');
  });

  it('hiy rollback --to 1 --with-data brings the version-1 data back', async () => {
    const r = await h.hiy(['rollback', 'keeper', '--to', '1', '--with-data']);
    assert.equal(r.code, 0, r.err);
    assert.equal(await layout(), 'v1-layout');
    const versions = JSON.parse(await readFile(join(h.dataDir, 'data-versions.json'), 'utf8'));
    assert.equal(versions[volume()].version, 1);
    const again = await h.hiy(['apply']);
    assert.equal(again.code, 0, again.err);
    assert.equal(await layout(), 'v1-layout');
  });
});
