// The doctor's checks: pure judgments over probed facts (a rootless user on cgroup v1 and v2, root, broken boxes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkHost,
  type HostFacts,
  limitsEnforceable,
  limitsNotEnforcedReason,
  type PodmanHostInfo,
} from '../../../src/model/host.js';

const info = (over: Partial<PodmanHostInfo> = {}): PodmanHostInfo => ({
  rootless: true,
  graphDriver: 'overlay',
  cgroupVersion: 'v2',
  cgroupControllers: ['cpu', 'memory', 'pids'],
  slirp4netns: '/usr/bin/slirp4netns',
  ...over,
});
const facts = (over: Partial<HostFacts> = {}, podman: Partial<PodmanHostInfo> = {}): HostFacts => ({
  user: 'hiy',
  podman: { ok: true, info: info(podman) },
  subUids: [{ start: 100000, count: 65536 }],
  subGids: [{ start: 100000, count: 65536 }],
  tunUsable: true,
  portFloor: 80,
  systemd: true,
  linger: true,
  ...over,
});
const failed = (f: HostFacts) =>
  checkHost(f)
    .checks.filter((c) => !c.ok)
    .map((c) => c.name);

describe('checkHost', () => {
  it('a set-up rootless box on cgroup v2 with delegation has no problem', () => {
    const r = checkHost(facts());
    assert.equal(r.ok, true);
    assert.deepEqual(r.problems, []);
    assert.equal(r.rootless, true);
    assert.ok(r.checks.length >= 9);
  });

  it('root needs none of the rootless checks', () => {
    const r = checkHost(facts({ subUids: [], tunUsable: false, portFloor: 1024 }, { rootless: false }));
    assert.equal(r.ok, true);
    assert.equal(r.rootless, false);
    assert.deepEqual(
      r.checks.map((c) => c.name),
      ['podman'],
    );
  });

  it('names each problem with a fix: no sub-ids, vfs, no slirp4netns, tun, floor, no linger', () => {
    const r = checkHost(
      facts(
        { subUids: [], subGids: [{ start: 1, count: 10 }], tunUsable: false, portFloor: 1024, linger: false },
        { graphDriver: 'vfs', slirp4netns: '' },
      ),
    );
    assert.equal(r.ok, false);
    assert.deepEqual(failed(facts({ subUids: [] })), ['sub-uids']);
    assert.deepEqual(
      r.problems.map((p) => p.what.split(':')[0]),
      ['sub-uids', 'sub-gids', 'storage', 'slirp4netns', '/dev/net/tun', 'port floor', 'reboots'],
    );
    const floor = r.problems.find((p) => p.what.startsWith('port floor'));
    assert.match(floor?.what ?? '', /net\.ipv4\.ip_unprivileged_port_start = 1024/);
    assert.match(floor?.fix ?? '', /box-wide/);
    assert.match(r.problems.find((p) => p.what.startsWith('storage'))?.fix ?? '', /overlay storage\.conf/);
    assert.match(r.problems.find((p) => p.what.startsWith('reboots'))?.fix ?? '', /enable-linger hiy/);
    for (const p of r.problems) assert.ok(p.fix.length > 0);
  });

  it('cgroup v1 rootless: limits are not enforced; v2 names the controllers not delegated', () => {
    const v1 = checkHost(facts({}, { cgroupVersion: 'v1', cgroupControllers: [] }));
    assert.match(v1.problems[0]?.what ?? '', /^resource limits: cgroup v1/);
    const v2 = checkHost(facts({}, { cgroupControllers: ['cpu'] }));
    assert.match(v2.problems[0]?.what ?? '', /does not delegate memory, pids/);
    assert.match(v2.problems[0]?.fix ?? '', /Delegate=/);
  });

  it('no systemd: reboots are a problem whatever lingering says', () => {
    assert.deepEqual(failed(facts({ systemd: false, linger: false })), ['reboots']);
  });

  it('a failing podman is the one problem, with its error', () => {
    const r = checkHost(facts({ podman: { ok: false, error: 'cannot clone: Operation not permitted' } }));
    assert.equal(r.ok, false);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]?.what ?? '', /cannot clone/);
  });
});

describe('limitsEnforceable', () => {
  it('root always; rootless only on v2 with memory, cpu and pids', () => {
    assert.equal(limitsEnforceable(info({ rootless: false, cgroupVersion: 'v1' })).ok, true);
    assert.deepEqual(limitsEnforceable(info({ cgroupVersion: 'v1' })).missing, ['memory', 'cpu', 'pids']);
    assert.deepEqual(limitsEnforceable(info({ cgroupControllers: ['memory'] })).missing, ['cpu', 'pids']);
    assert.equal(limitsEnforceable(info()).ok, true);
  });
  it('says why in one sentence, the same for doctor, plan warnings and the condition', () => {
    assert.equal(limitsNotEnforcedReason(info(), 'hiy'), undefined);
    assert.equal(limitsNotEnforcedReason(info({ rootless: false, cgroupVersion: 'v1' }), 'root'), undefined);
    assert.equal(
      limitsNotEnforcedReason(info({ cgroupVersion: 'v1' }), 'hiy'),
      'cgroup v1: memory, cpus and pids limits are not enforced for rootless containers',
    );
    assert.equal(
      limitsNotEnforcedReason(info({ cgroupControllers: ['memory'] }), 'hiy'),
      'cgroup v2 does not delegate cpu, pids to hiy: those limits are not enforced',
    );
  });
});
