// Stop-first upgrades of a Port with two volumes: both snapshots are taken at once, and one failing restarts the old one.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyPlan } from '../../../src/apply/apply.js';
import { FakeCaddy } from '../../../src/drivers/caddy/fake.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import type { DesiredWorkload } from '../../../src/model/workload.js';
import { fingerprintObserved, observe } from '../../../src/observed/observe.js';
import { plan } from '../../../src/plan/plan.js';
import { desired, port, SETTINGS } from '../../support/fixtures.js';

const mail = (greeting: string) =>
  port('mail', {
    env: { GREETING: greeting },
    volumes: [
      { name: 'mail', mountPath: '/var/mail' },
      { name: 'state', mountPath: '/var/lib/state' },
    ],
  });

/** An export that waits a little before it writes (so two can overlap), and fails for `failing`. */
class SlowExports extends FakePodman {
  failing: string | undefined;
  readonly spans: { volume: string; start: number; end: number }[] = [];
  override async exportVolume(name: string, file: string): Promise<void> {
    const span = { volume: name, start: performance.now(), end: 0 };
    this.spans.push(span);
    await new Promise((r) => setTimeout(r, 50));
    try {
      if (name === this.failing) throw new Error(`export of ${name}: no space left on device`);
      await super.exportVolume(name, file);
    } finally {
      span.end = performance.now();
    }
  }
}

describe('stop-first upgrade of a Port with two volumes', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  async function world() {
    const podman = new SlowExports();
    podman.addImage('localhost/example/web:1');
    const dataDir = await mkdtemp(join(tmpdir(), 'hiy-upgrade-snapshots-'));
    dirs.push(dataDir);
    return { podman, caddy: new FakeCaddy(), dataDir };
  }

  async function converge(w: Awaited<ReturnType<typeof world>>, workloads: DesiredWorkload[]) {
    const observed = await observe({ podman: w.podman, caddy: w.caddy, instance: SETTINGS.instance });
    const p = plan({
      desired: desired(workloads),
      observed,
      observedFingerprint: fingerprintObserved(observed),
      settings: SETTINGS,
    });
    return applyPlan(p, {
      podman: w.podman,
      caddy: w.caddy,
      prober: { httpGet: async () => 200, tcpConnect: async () => {} },
      exportCommit: () => Promise.reject(new Error('no builds here')),
      caddyConfig: observed.caddyConfig,
      dataDir: w.dataDir,
      volumes: observed.volumes,
    });
  }

  const snapshotsOf = (w: Awaited<ReturnType<typeof world>>, volume: string) =>
    readdir(join(w.dataDir, 'snapshots', volume)).catch(() => []);

  it('snapshots both volumes at once, each verified with its manifest', async () => {
    const w = await world();
    assert.equal((await converge(w, [mail('a')])).ok, true);
    const r = await converge(w, [mail('b')]);
    assert.equal(r.ok, true, JSON.stringify(r.results));
    assert.deepEqual(w.podman.spans.map((s) => s.volume).sort(), ['hiy-mail-mail', 'hiy-mail-state']);
    const [first, second] = [...w.podman.spans].sort((x, y) => x.start - y.start);
    assert.ok(second!.start < first!.end, 'the second export started before the first one ended');
    assert.equal((await snapshotsOf(w, 'hiy-mail-mail')).length, 1);
    assert.equal((await snapshotsOf(w, 'hiy-mail-state')).length, 1);
  });

  it('one failing snapshot aborts the upgrade: the old container runs again and no half snapshot is left', async () => {
    const w = await world();
    assert.equal((await converge(w, [mail('a')])).ok, true);
    const before = (await w.podman.listContainers({})).map((c) => `${c.name} ${c.id}`);
    w.podman.failing = 'hiy-mail-state';
    const r = await converge(w, [mail('b')]);
    assert.equal(r.ok, false);
    const failed = r.results.find((x) => x.status === 'failed');
    assert.match(failed?.error ?? '', /aborted before any change, the old version runs again/);
    assert.match(failed?.error ?? '', /hiy-mail-state/);
    const containers = await w.podman.listContainers({});
    assert.deepEqual(
      containers.map((c) => `${c.name} ${c.id}`),
      before,
    );
    assert.deepEqual(
      containers.map((c) => c.state),
      ['running'],
    );
    assert.deepEqual(await snapshotsOf(w, 'hiy-mail-state'), []);
  });
});
