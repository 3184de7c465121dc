// One observation on the fake drivers: three calls whatever the box holds, this instance's objects only, and a
// failure that is an error, never an empty box.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeCaddy } from '../../../src/drivers/caddy/fake.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import type { RunSpec } from '../../../src/drivers/podman/types.js';
import { LABEL_RESOURCE, ownershipLabels } from '../../../src/model/labels.js';
import { fingerprintObserved, ObservationError, observe } from '../../../src/observed/observe.js';

const IMAGE = 'localhost/example/web:1';

function world() {
  const podman = new FakePodman();
  podman.addImage(IMAGE);
  return { podman, caddy: new FakeCaddy() };
}

const spec = (instance: string, name: string, hostPort?: number): RunSpec => ({
  name: `hiy-${instance}-${name}`,
  image: IMAGE,
  labels: { ...ownershipLabels(instance), [LABEL_RESOURCE]: `port/${name}` },
  env: {},
  volumes: [],
  publish: hostPort ? [{ hostIp: '127.0.0.1', hostPort, containerPort: 8080, protocol: 'tcp' }] : [],
  restart: 'no',
  stopTimeoutSeconds: 0,
});

describe('observe', () => {
  it('reads the box in three calls, however many containers it holds', async () => {
    for (const n of [0, 1, 25]) {
      const w = world();
      for (let i = 0; i < n; i++) await w.podman.runContainer(spec('me', `c${i}`));
      const before = { podman: w.podman.calls, caddy: w.caddy.calls };
      const observed = await observe({ ...w, instance: 'me' });
      assert.equal(observed.containers.length, n);
      assert.deepEqual(
        { podman: w.podman.calls - before.podman, caddy: w.caddy.calls - before.caddy },
        { podman: 2, caddy: 1 },
      );
    }
  });

  it('keeps this instance’s containers and volumes, and the host ports other instances publish', async () => {
    const w = world();
    await w.podman.runContainer(spec('me', 'web', 20001));
    await w.podman.runContainer(spec('other', 'web', 20002));
    await w.podman.runContainer({ ...spec('me', 'mine'), name: 'not-hiy', labels: {} });
    await w.podman.createVolume('hiy-me-web-data', ownershipLabels('me'));
    await w.podman.createVolume('hiy-other-web-data', ownershipLabels('other'));
    await w.podman.createVolume('plain', {});
    const observed = await observe({ ...w, instance: 'me' });
    assert.deepEqual(
      observed.containers.map((c) => c.name),
      ['hiy-me-web'],
    );
    assert.deepEqual(
      observed.volumes.map((v) => v.name),
      ['hiy-me-web-data'],
    );
    assert.deepEqual(observed.portsInUse, [20002]);
    assert.deepEqual(observed.proxy, { present: false, pristine: true });
  });

  it('a failed call fails the observation: nothing is seen as absent', async () => {
    const w = world();
    await w.podman.runContainer(spec('me', 'web'));
    w.podman.unreachable = true;
    const podmanDown = await observe({ ...w, instance: 'me' }).catch((e: unknown) => e);
    assert.ok(podmanDown instanceof ObservationError);
    assert.match(podmanDown.message, /nothing is planned: .*cannot connect to Podman/);
    w.podman.unreachable = false;
    w.caddy.unreachable = true;
    const caddyDown = await observe({ ...w, instance: 'me' }).catch((e: unknown) => e);
    assert.ok(caddyDown instanceof ObservationError);
    assert.match(caddyDown.message, /cannot reach Caddy's admin API/);
  });

  it('the fingerprint changes with what this instance owns, and only with that', async () => {
    const w = world();
    await w.podman.runContainer(spec('me', 'web'));
    const fp = async () => fingerprintObserved(await observe({ ...w, instance: 'me' }));
    const first = await fp();
    assert.equal(await fp(), first, 'an unchanged box, the same fingerprint');
    await w.podman.runContainer(spec('other', 'web'));
    assert.equal(await fp(), first, 'another instance’s container is not ours');
    await w.podman.stopContainer('hiy-me-web', 0);
    const stopped = await fp();
    assert.notEqual(stopped, first);
    await w.podman.createVolume('hiy-me-web-data', ownershipLabels('me'));
    assert.notEqual(await fp(), stopped);
  });
});
