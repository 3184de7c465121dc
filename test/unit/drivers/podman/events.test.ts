// `podman events --format json` lines as Podman 4.3.1 prints them, parsed; and the stream's argv.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventsArgv, parsePodmanEvent } from '../../../../src/drivers/podman/events.js';

describe('parsePodmanEvent', () => {
  it('reads a container event with its labels and a volume event without', () => {
    const c = parsePodmanEvent(
      '{"ContainerExitCode":137,"ID":"b87f","Image":"localhost/hiy/busybox:latest","Name":"hiy-t1-web","Status":"died","Time":"2026-12-07T17:54:36.750400011Z","Type":"container","Attributes":{"hiy.instance":"t1"}}',
    );
    assert.deepEqual(c, {
      type: 'container',
      status: 'died',
      name: 'hiy-t1-web',
      id: 'b87f',
      timeMs: Date.parse('2026-12-07T17:54:36.750Z'),
      labels: { 'hiy.instance': 't1' },
    });
    const v = parsePodmanEvent(
      '{"Name":"hiy-t1-web-data","Status":"remove","Time":"2026-12-07T17:54:57.954090892Z","Type":"volume","Attributes":null}',
    );
    assert.equal(v?.type, 'volume');
    assert.deepEqual(v?.labels, {});
  });
  it('skips what is not a container or volume event', () => {
    assert.equal(parsePodmanEvent('not json'), undefined);
    assert.equal(
      parsePodmanEvent('{"Type":"image","Status":"pull","Name":"x","Time":"2026-12-07T17:54:57Z"}'),
      undefined,
    );
    assert.equal(parsePodmanEvent('{"Type":"container","Status":"start","Name":"x"}'), undefined);
  });
});

describe('eventsArgv', () => {
  it('follows containers and volumes from a time on, without a label filter (it would drop volume events)', () => {
    assert.deepEqual(eventsArgv(Date.parse('2026-12-07T17:00:00.000Z')), [
      'events',
      '--format',
      'json',
      '--filter',
      'type=container',
      '--filter',
      'type=volume',
      '--since',
      '2026-12-07T17:00:00.000Z',
    ]);
  });
});
