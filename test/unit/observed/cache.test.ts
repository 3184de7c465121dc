// The daemon's observation cache on the fake drivers: reads from memory while the event stream runs, and lists
// again after an event of its kind, its own change, a replay, a lag or a break of the stream, and a resync.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeCaddy } from '../../../src/drivers/caddy/fake.js';
import type { FollowPodmanEvents, PodmanEvent } from '../../../src/drivers/podman/events.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';
import type { RunSpec } from '../../../src/drivers/podman/types.js';
import { LABEL_RESOURCE, ownershipLabels } from '../../../src/model/labels.js';
import { ObservationCache } from '../../../src/observed/cache.js';
import { observe } from '../../../src/observed/observe.js';

const IMAGE = 'localhost/example/web:1';

const spec = (instance: string, name: string): RunSpec => ({
  name: `hiy-${instance}-${name}`,
  image: IMAGE,
  labels: { ...ownershipLabels(instance), [LABEL_RESOURCE]: `port/${name}` },
  env: {},
  volumes: [],
  publish: [],
  restart: 'no',
  stopTimeoutSeconds: 0,
});

/** A cache over fake drivers, with a hand-fed event stream and a settable clock. */
function setup(opts: { follow?: boolean } = {}) {
  const podman = new FakePodman();
  podman.addImage(IMAGE);
  const caddy = new FakeCaddy();
  let now = 1_800_000_000_000;
  let feed: { onEvent(e: PodmanEvent): void; onEnd(reason: string): void } | undefined;
  let streams = 0;
  const follow: FollowPodmanEvents = (h) => {
    streams++;
    feed = h;
    return { stop: async () => undefined };
  };
  const changes: string[] = [];
  const notices: string[] = [];
  const cache = new ObservationCache({
    podman,
    caddy,
    instance: 'me',
    ...(opts.follow !== false && { follow }),
    onChange: (why) => changes.push(why),
    onNotice: (m) => notices.push(m),
    now: () => now,
  });
  const calls = () => podman.calls + caddy.calls;
  const look = () => observe({ podman: cache.podman, caddy: cache.caddy, instance: 'me' });
  const event = (e: Partial<PodmanEvent>) =>
    feed!.onEvent({ type: 'container', status: 'died', name: 'x', timeMs: now, labels: {}, ...e });
  return {
    podman,
    caddy,
    cache,
    changes,
    notices,
    calls,
    look,
    event,
    end: (why: string) => feed!.onEnd(why),
    tick: (ms: number) => {
      now += ms;
    },
    streams: () => streams,
  };
}

describe('ObservationCache', () => {
  it('serves a second observation from memory: no call at all', async () => {
    const t = setup();
    await t.podman.runContainer(spec('me', 'web'));
    t.cache.start();
    const first = await t.look();
    const before = t.calls();
    const second = await t.look();
    assert.equal(t.calls(), before);
    assert.deepEqual(second, first);
    assert.equal(t.cache.memoryHits, 3);
  });

  it('without an event stream, every observation lists', async () => {
    const t = setup({ follow: false });
    t.cache.start();
    await t.look();
    const before = t.calls();
    await t.look();
    assert.equal(t.calls() - before, 3);
    assert.equal(t.cache.memoryHits, 0);
  });

  it('a container event of its instance lists containers again and tells onChange', async () => {
    const t = setup();
    t.cache.start();
    await t.look();
    // Behind HIY's back: the fake changes, the cache only hears of it through the event.
    await t.podman.runContainer(spec('me', 'web'));
    assert.equal((await t.look()).containers.length, 0, 'no event yet: memory');
    t.event({ name: 'hiy-me-web', status: 'start', labels: ownershipLabels('me') });
    const before = t.podman.calls;
    assert.equal((await t.look()).containers.length, 1);
    assert.equal(t.podman.calls - before, 1, 'containers listed again, volumes not');
    assert.deepEqual(t.changes, ['container hiy-me-web start']);
  });

  it('ignores unlisted statuses, unmanaged containers and other instances', async () => {
    const t = setup();
    t.cache.start();
    await t.look();
    t.event({ status: 'exec_died', labels: ownershipLabels('me') });
    t.event({ status: 'died', labels: { other: 'x' } });
    t.event({ status: 'died', labels: ownershipLabels('other') });
    const before = t.calls();
    await t.look();
    assert.equal(t.calls(), before);
    assert.deepEqual(t.changes, []);
  });

  it('a volume event of the instance lists volumes again; others change nothing', async () => {
    const t = setup();
    t.cache.start();
    await t.look();
    t.event({ type: 'volume', name: 'somebody-else', status: 'remove' });
    t.event({ type: 'volume', name: 'hiy-me-web-data', status: 'remove' });
    const before = t.podman.calls;
    await t.look();
    assert.equal(t.podman.calls - before, 1);
    assert.deepEqual(t.changes, ['volume hiy-me-web-data remove']);
  });

  it('its own Podman changes invalidate the listings at once (their events come later)', async () => {
    const t = setup();
    t.cache.start();
    await t.look();
    await t.cache.podman.runContainer(spec('me', 'web'));
    assert.equal((await t.look()).containers.length, 1);
  });

  it('remembers the config HIY loaded into Caddy, and reads it again after invalidate()', async () => {
    const t = setup();
    t.cache.start();
    await t.look();
    const config = { apps: { http: { servers: { x: { listen: [':1'] } } } } };
    await t.cache.caddy.load(config);
    let before = t.caddy.calls;
    assert.deepEqual((await t.look()).caddyConfig, config);
    assert.equal(t.caddy.calls, before);
    t.cache.invalidate();
    before = t.calls();
    await t.look();
    assert.equal(t.calls() - before, 3);
  });

  it('hands out copies: a caller changing what it got changes nothing kept', async () => {
    const t = setup();
    await t.cache.caddy.load({ apps: {} });
    t.cache.start();
    const a = await t.cache.caddy.getConfig();
    (a as Record<string, unknown>).apps = 'broken';
    assert.deepEqual(await t.cache.caddy.getConfig(), { apps: {} });
  });

  it('lists everything again on a replay (time going backwards) and on a lagging event', async () => {
    const t = setup();
    t.cache.start();
    await t.look();
    t.tick(10_000);
    t.event({
      type: 'volume',
      name: 'a',
      status: 'create',
      timeMs: 1_800_000_010_000,
    });
    await t.look();
    t.event({ type: 'volume', name: 'a', status: 'create', timeMs: 1_800_000_000_000 });
    assert.match(t.notices.join('\n'), /replays old events/);
    let before = t.calls();
    await t.look();
    assert.equal(t.calls() - before, 3);
    // Lag: an event recorded 6 s before it arrives.
    t.tick(6_000);
    t.event({ type: 'volume', name: 'c', status: 'create', timeMs: 1_800_000_010_500 });
    before = t.calls();
    await t.look();
    assert.equal(t.calls() - before, 3);
  });

  it('a broken stream: observes directly, wakes a run, and follows again later', async () => {
    const t = setup();
    t.cache.start();
    await t.look();
    t.end('podman events exited (1)');
    assert.equal(t.cache.following, false);
    assert.deepEqual(t.changes, ['podman event stream ended']);
    const before = t.calls();
    await t.look();
    await t.look();
    assert.equal(t.calls() - before, 6);
    assert.match(t.notices.join('\n'), /event stream ended/);
    await t.cache.stop();
  });
});
