// The parsers of Podman's output, on JSON captured from Podman 4.3.1.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseImageInspect, parsePs, parseVolumeLs } from '../../../../src/drivers/podman/output.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseImageInspect', () => {
  test('id and labels, null labels as none, the size when given', () => {
    assert.deepEqual(parseImageInspect('{"id":"abc","labels":{"io.hiy.port.v1":"{}"}}\n'), {
      id: 'abc',
      labels: { 'io.hiy.port.v1': '{}' },
    });
    assert.deepEqual(parseImageInspect('{"id":"abc","labels":null}'), { id: 'abc', labels: {} });
    assert.deepEqual(parseImageInspect('{"id":"abc","labels":null,"size":6821483}'), {
      id: 'abc',
      labels: {},
      size: 6821483,
    });
  });
});

describe('parsePs on Podman 4.3.1 output', () => {
  test('labelled containers: names, state, labels, ports with ranges expanded', () => {
    const [web, bare, ...rest] = parsePs(fixture('ps-labelled.json'));
    assert.equal(rest.length, 0);
    assert.deepEqual(web, {
      id: '10c9758c3f2d427410c66d75e3e0064a06dc494921b7ef838889f7c1a48825bd',
      name: 'fxweb',
      image: 'localhost/hiy/busybox:latest',
      imageId: 'a38352eae93e57261f3d4b8fdef51ae8235087455f1ab0a194fd60e3b93f5da0',
      state: 'running',
      labels: { 'hiy.instance': 'fx', 'hiy.resource': 'port/web' },
      ports: [
        { hostIp: '127.0.0.1', hostPort: 18080, containerPort: 8080, protocol: 'tcp' },
        { hostIp: '127.0.0.1', hostPort: 19000, containerPort: 9000, protocol: 'udp' },
        { hostIp: '127.0.0.1', hostPort: 19001, containerPort: 9001, protocol: 'udp' },
        { hostIp: '127.0.0.1', hostPort: 19002, containerPort: 9002, protocol: 'udp' },
      ],
      createdAt: 1795312799,
      networks: ['podman'],
    });
    assert.equal(bare?.name, 'fxbare');
    assert.equal(bare?.state, 'exited');
    assert.deepEqual(bare?.ports, []);
  });

  test('Labels: null becomes {}', () => {
    const [c] = parsePs(fixture('ps-unlabelled.json'));
    assert.equal(c?.name, 'fxnolabel');
    assert.deepEqual(c?.labels, {});
  });

  test('Networks: null or missing is "not reported", never "on no network" (the plan would replace it)', () => {
    const raw = JSON.parse(fixture('ps-unlabelled.json')) as Record<string, unknown>[];
    const withNull = parsePs(JSON.stringify(raw.map((c) => ({ ...c, Networks: null }))));
    const without = parsePs(JSON.stringify(raw.map(({ Networks: _, ...c }) => c)));
    assert.equal(withNull[0]?.networks, undefined);
    assert.equal(without[0]?.networks, undefined);
  });

  test('empty output', () => {
    assert.deepEqual(parsePs(fixture('ps-empty.json')), []);
    assert.deepEqual(parsePs(''), []);
  });

  test('unexpected shapes throw', () => {
    assert.throws(() => parsePs('{"Id":"x"}'));
    assert.throws(() => parsePs('[{"Names":["x"]}]'));
  });
});

describe('parseVolumeLs on Podman 4.3.1 output', () => {
  test('labelled volumes', () => {
    assert.deepEqual(parseVolumeLs(fixture('volume-ls-labelled.json')), [
      {
        name: 'fxvol1',
        labels: { 'hiy.instance': 'fx', 'hiy.managed-by': 'hiy' },
        mountpoint: '/var/lib/containers/storage/volumes/fxvol1/_data',
      },
      {
        name: 'fxvol2',
        labels: { 'hiy.instance': 'fx' },
        mountpoint: '/var/lib/containers/storage/volumes/fxvol2/_data',
      },
    ]);
  });

  test('unlabelled volume and empty output', () => {
    assert.deepEqual(parseVolumeLs(fixture('volume-ls-unlabelled.json'))[0]?.labels, {});
    assert.deepEqual(parseVolumeLs(fixture('volume-ls-empty.json')), []);
  });
});
