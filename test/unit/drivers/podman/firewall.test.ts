// The rule that closes a workload's own network, and finding HIY's stale rules on a reused bridge name. Pure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeRule, iptablesArgv, staleRules } from '../../../../src/drivers/podman/firewall.js';

describe('closing a network', () => {
  it("runs iptables on the host for root's Podman, in the rootless network namespace for a user's", () => {
    assert.deepEqual(iptablesArgv(['-S', 'CNI-ADMIN']), ['iptables', '-w', '10', '-S', 'CNI-ADMIN']);
    assert.deepEqual(iptablesArgv(['-S', 'CNI-ADMIN'], { podman: '/usr/bin/podman' }), [
      '/usr/bin/podman',
      'unshare',
      '--rootless-netns',
      'iptables',
      '-w',
      '10',
      '-S',
      'CNI-ADMIN',
    ]);
  });

  it('drops new forwarded connections into the bridge unless port forwarding made them', () => {
    assert.deepEqual(closeRule('cni-podman3', 'hiy.app.shop'), [
      ...[
        '-o',
        'cni-podman3',
        '-m',
        'conntrack',
        '--ctstate',
        'NEW',
        '-m',
        'conntrack',
        '!',
        '--ctstate',
        'DNAT',
      ],
      ...['-m', 'comment', '--comment', 'hiy closed hiy.app.shop', '-j', 'DROP'],
    ]);
  });

  it("finds HIY's rule for another network on the same bridge, and only that", () => {
    const listing = [
      '-N CNI-ADMIN',
      '-A CNI-ADMIN -o cni-podman3 -m conntrack --ctstate NEW -m conntrack ! --ctstate DNAT -m comment --comment "hiy closed hiy.app.old" -j DROP',
      '-A CNI-ADMIN -o cni-podman3 -m conntrack --ctstate NEW -m conntrack ! --ctstate DNAT -m comment --comment "hiy closed hiy.app.shop" -j DROP',
      '-A CNI-ADMIN -o cni-podman4 -m conntrack --ctstate NEW -m conntrack ! --ctstate DNAT -m comment --comment "hiy closed hiy.port.db" -j DROP',
      '-A CNI-ADMIN -o cni-podman3 -j ACCEPT',
    ].join('\n');
    assert.deepEqual(staleRules(listing, 'cni-podman3', 'hiy.app.shop'), [
      closeRule('cni-podman3', 'hiy.app.old'),
    ]);
    assert.deepEqual(staleRules(listing, 'cni-podman4', 'hiy.port.db'), []);
  });
});
