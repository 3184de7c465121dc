// Graceful at the box's limit: with a small HIY_BOX_MEMORY_LIMIT / HIY_BOX_PIDS_LIMIT, `hiy plan` says the new
// containers do not fit (measured from the running one's cgroup), `hiy apply` refuses and changes nothing, and
// `--allow-over-capacity` starts them anyway.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { instanceObjects } from '../support/podman.js';

const NEW = ['web1', 'web2', 'web3'];

describe('capacity at the box limit', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ 'web0.yaml': webPort('web0', 'web0.cap.test') });
    const first = await h.hiy(['apply']);
    assert.equal(first.code, 0, first.err + first.out);
    await h.commit(Object.fromEntries(NEW.map((n) => [`${n}.yaml`, webPort(n, `${n}.cap.test`)])));
  });
  after(() => h?.cleanup());

  it('hiy plan warns, with the estimate measured on the box and where the limit came from', async () => {
    // web0 (measured from its cgroup, plus conmon) leaves less of 4 MiB than the three new containers need.
    const r = await h.hiy(['plan'], { HIY_BOX_MEMORY_LIMIT: '4Mi' });
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /Warning: this plan does not fit this box: the 3 container\(s\) it starts need about \d+ MiB of memory \(3 as measured on this box; each \+ 1 MiB for conmon and the kernel\); only \d+ MiB are available \(HIY_BOX_MEMORY_LIMIT 4 MiB, 1 running container\(s\) of this instance using about \d+ MiB\)/,
    );
    assert.match(r.out, /apply refuses it unless you pass --allow-over-capacity/);
    const json = JSON.parse((await h.hiy(['plan', '--json'], { HIY_BOX_MEMORY_LIMIT: '4Mi' })).out);
    assert.equal(json.capacity.verdict, 'exceeded');
    assert.equal(json.capacity.starts, 3);
    assert.equal(json.capacity.memory.estimate.measured, 3);

    const pids = await h.hiy(['plan'], { HIY_BOX_PIDS_LIMIT: '3' });
    assert.match(
      pids.out,
      /need about \d+ processes \(conmon included\); only \d+ more may start \(HIY_BOX_PIDS_LIMIT 3/,
    );

    // Without a limit of its own, this box has room for three busybox containers: no warning at all.
    const roomy = await h.hiy(['plan']);
    assert.doesNotMatch(roomy.out, /does not fit|little room/);
  });

  it('hiy apply refuses it and changes nothing; --allow-over-capacity applies it', async () => {
    const refused = await h.hiy(['apply'], { HIY_BOX_MEMORY_LIMIT: '4Mi' });
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.err,
      /refusing a plan that does not fit this box: .*apply with --allow-over-capacity/,
    );
    assert.deepEqual(await instanceObjects('containers', h.instance, '{{.Names}}'), [
      `hiy-${h.instance}-web0`,
    ]);

    const forced = await h.hiy(['apply', '--allow-over-capacity'], { HIY_BOX_MEMORY_LIMIT: '4Mi' });
    assert.equal(forced.code, 0, forced.err + forced.out);
    const names = await instanceObjects('containers', h.instance, '{{.Names}}');
    assert.deepEqual(names.sort(), ['web0', ...NEW].map((n) => `hiy-${h.instance}-${n}`).sort());
  });
});
