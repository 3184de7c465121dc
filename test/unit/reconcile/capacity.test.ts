// The daemon and a plan that does not fit the box: refused before anything changes, recorded once, applied once
// the box has room.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BoxFacts } from '../../../src/model/box.js';
import { type Daemon, startDaemon } from '../../../src/reconcile/index.js';
import { EventLog } from '../../../src/store/events.js';
import { StatusStore } from '../../../src/store/status.js';
import { type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';
import { waitFor } from '../../support/ports.js';

const MiB = 1024 ** 2;

describe('daemon: capacity', () => {
  let w: FakeWorld;
  let daemon: Daemon | undefined;
  let available = 1024 * MiB;
  const names = async () => (await w.podman.listContainers({})).map((c) => c.name).sort();
  const failures = async () =>
    (await new EventLog(w.dataDir).read()).filter((e) => e.type === 'reconcile.failed');

  before(async () => {
    w = await fakeEngine({ files: { 'web.yaml': portYaml('web', { host: 'web.test' }) } });
    w.engine.readBox = async (): Promise<BoxFacts> => ({
      memory: { availableBytes: available, source: 'MemAvailable of /proc/meminfo' },
      pids: { free: 10_000, limit: 32_768, source: 'kernel.pid_max' },
      measured: [],
    });
    const head = await w.commit({}, 'head');
    daemon = await startDaemon({ engine: w.engine, resync: '0 0 1 1 *', plugins: [] });
    await waitFor(async () => (await new StatusStore(w.dataDir).read()).lastAppliedCommit === head, {
      what: 'the startup run',
    });
  });
  after(async () => {
    await daemon?.stop();
    await w.cleanup();
  });

  it('refuses a commit whose containers do not fit, keeps what runs, and records it once', async () => {
    available = 20 * MiB; // the two new Ports need 2 × 17 MiB at the default
    const commit = await w.commit({
      'a.yaml': portYaml('a', { host: 'a.test' }),
      'b.yaml': portYaml('b', { host: 'b.test' }),
    });
    const outcome = await daemon!.enqueue({ kind: 'resync' });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.commit, commit);
    assert.match(
      outcome.error ?? '',
      /refusing a plan that does not fit this box: the 2 container\(s\) it starts need about 34 MiB/,
    );
    assert.deepEqual(await names(), ['hiy-unit-web']);
    await daemon!.enqueue({ kind: 'resync' });
    assert.equal((await failures()).length, 1, 'recorded once, not at every run while it lasts');
    assert.match((await new StatusStore(w.dataDir).read()).lastError ?? '', /does not fit this box/);
  });

  it('applies it once the box has room', async () => {
    available = 1024 * MiB;
    const outcome = await daemon!.enqueue({ kind: 'resync' });
    assert.equal(outcome.ok, true, outcome.error);
    assert.deepEqual(await names(), ['hiy-unit-a', 'hiy-unit-b', 'hiy-unit-web']);
  });
});
