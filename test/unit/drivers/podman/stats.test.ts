// `podman stats` in one call for named containers: the argv and the parsing of Podman 4.3's raw stats.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStats, statsArgv } from '../../../../src/drivers/podman/stats.js';

describe('podman stats', () => {
  it('asks once for all the named containers, without streaming, raw numbers as JSON lines', () => {
    assert.deepEqual(statsArgv(['hiy-a', 'hiy-b']), [
      'stats',
      '--no-stream',
      '--no-reset',
      '--format',
      '{{json .ContainerStats}}',
      '--',
      'hiy-a',
      'hiy-b',
    ]);
  });

  it('parses each line (as Podman 4.3.1 prints it) and skips what is not a stats object', () => {
    const out = `{"AvgCPU":43.9,"ContainerID":"62a3","Name":"hiy-a","PerCPU":[1],"CPU":43.9,"CPUNano":1447938721,"CPUSystemNano":28000000,"SystemNano":1796678465213956720,"MemUsage":647168,"MemLimit":25276157952,"MemPerc":0.0025,"NetInput":472,"NetOutput":1096,"BlockInput":0,"BlockOutput":0,"PIDs":1,"UpTime":1447938721,"Duration":1447938721}
time="x" level=warning msg="something"
{"Name":"no-id"}
{not json
`;
    assert.deepEqual(parseStats(out), [
      {
        id: '62a3',
        name: 'hiy-a',
        cpuNanos: 1447938721,
        cpuPercentSinceStart: 43.9,
        memBytes: 647168,
        memLimitBytes: 25276157952,
      },
    ]);
  });
});
