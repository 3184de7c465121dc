// Observation survives a busy Podman: another process creating and removing its own volumes and containers in a
// loop makes Podman 4.3's listings fail now and then (`no such volume`); HIY lists again and every reconcile succeeds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { LABEL_INSTANCE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../src/model/labels.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { BUSYBOX_IMAGE, cleanupInstance, testInstance } from '../support/podman.js';

describe('observation while another process removes its own objects', () => {
  let h: Harness;
  const churn = testInstance('c');
  let stop = false;
  let churning: Promise<number> = Promise.resolve(0);

  /**
   * Creates and removes a batch of volumes and containers until told to stop. They are labelled as another
   * instance's, managed-by included: HIY's listings filter on that label, so Podman reads these objects while
   * they go (Podman 4.3.1 ORs the label filters of `volume ls`, so the volume listing matches them too).
   */
  const churnLoop = async (): Promise<number> => {
    let rounds = 0;
    const labels = [
      '--label',
      `${LABEL_INSTANCE}=${churn}`,
      '--label',
      `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`,
    ];
    while (!stop) {
      const names = [0, 1, 2, 3, 4, 5].map((i) => `hiy-${churn}-r${rounds}-${i}`);
      for (const n of names) {
        await execa('podman', ['volume', 'create', ...labels, n]);
        await execa('podman', ['create', ...labels, '--name', n, BUSYBOX_IMAGE, 'true']);
      }
      await Promise.all(
        names.map(async (n) => {
          await execa('podman', ['rm', '-f', '-t', '0', n]);
          await execa('podman', ['volume', 'rm', '-f', n]);
        }),
      );
      rounds++;
    }
    return rounds;
  };

  before(async () => {
    h = await startHarness({ 'greeter.yaml': webPort('greeter', 'greeter.test', { volume: true }) });
    const r = await h.hiy(['apply']);
    assert.equal(r.code, 0, r.out + r.err);
  });

  after(async () => {
    stop = true;
    await churning.catch(() => undefined);
    await cleanupInstance(churn);
    await h.cleanup();
  });

  it('every reconcile succeeds while volumes and containers come and go', async () => {
    churning = churnLoop();
    const outcomes: { code: number; err: string }[] = [];
    for (let i = 0; i < 15; i++) {
      const r = await h.hiy(['apply']);
      outcomes.push({ code: r.code, err: r.err });
      assert.equal(r.code, 0, `reconcile ${i + 1}: ${r.err}${r.out}`);
      assert.match(r.out, /No changes/);
    }
    stop = true;
    const rounds = await churning;
    // The other process really worked alongside: objects were removed while HIY observed.
    assert.ok(rounds >= 1, `the churn loop ran ${rounds} rounds`);
    assert.equal(outcomes.filter((o) => o.code !== 0).length, 0);
  });
});
