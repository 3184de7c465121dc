// Reading the box's facts from /proc and the cgroup tree (v1 and v2 layouts, in temporary directories).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { boxLimitsFrom, boxReader } from '../../../../src/drivers/host/box.js';
import type { ContainerInfo } from '../../../../src/model/containers.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'hiy-box-'));
  dirs.push(root);
  for (const [p, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), text);
  }
  return root;
}

const container = (id: string, image: string): ContainerInfo => ({
  id,
  name: `c-${id}`,
  image,
  imageId: 'i',
  state: 'running',
  labels: {},
  ports: [],
  createdAt: 0,
});

const PROC = {
  'proc/meminfo': 'MemTotal:       24000000 kB\nMemAvailable:    2097152 kB\n',
  'proc/loadavg': '9.85 6.65 3.05 7/1256 27187\n',
  'proc/sys/kernel/pid_max': '32768\n',
  'proc/sys/kernel/threads-max': '192735\n',
};

describe('boxReader', () => {
  it('reads MemAvailable, the tightest PID room and the containers of cgroup v1 (cgroupfs)', async () => {
    const root = await tree({
      ...PROC,
      'cg/memory/libpod_parent/memory.limit_in_bytes': '9223372036854771712\n',
      'cg/memory/libpod_parent/memory.usage_in_bytes': '1000\n',
      'cg/memory/libpod_parent/libpod-aaa/memory.usage_in_bytes': `${3 * 1024 * 1024}\n`,
      'cg/pids/libpod_parent/pids.max': 'max\n',
      'cg/pids/libpod_parent/pids.current': '4\n',
      'cg/pids/libpod_parent/libpod-aaa/pids.current': '2\n',
    });
    const read = boxReader({}, { proc: join(root, 'proc'), cgroup: join(root, 'cg') });
    const facts = await read([container('aaa', 'img:1'), container('gone', 'img:1')]);
    assert.deepEqual(facts.memory, {
      availableBytes: 2 * 1024 ** 3,
      source: 'MemAvailable of /proc/meminfo',
    });
    assert.deepEqual(facts.pids, { free: 32768 - 1256, limit: 32768, source: 'kernel.pid_max' });
    // A container whose cgroup is gone (removed meanwhile) is not a sample.
    assert.deepEqual(facts.measured, [{ image: 'img:1', memoryBytes: 3 * 1024 * 1024, pids: 2 }]);
  });

  it('lowers both to the limits of the containers parent cgroup (v2, systemd) and adds the operator limits', async () => {
    const root = await tree({
      ...PROC,
      'cg/cgroup.controllers': 'cpu memory pids\n',
      'cg/machine.slice/memory.max': `${1024 ** 3}\n`,
      'cg/machine.slice/memory.current': `${256 * 1024 ** 2}\n`,
      'cg/machine.slice/pids.max': '500\n',
      'cg/machine.slice/pids.current': '120\n',
      'cg/machine.slice/libpod-bbb.scope/memory.current': '5000\n',
    });
    const read = boxReader(
      { memoryLimitBytes: 123, pidsLimit: 7 },
      { proc: join(root, 'proc'), cgroup: join(root, 'cg') },
    );
    const facts = await read([container('bbb', 'img:2')]);
    assert.equal(facts.memory.availableBytes, 768 * 1024 ** 2);
    assert.match(facts.memory.source, /memory limit of .*machine\.slice/);
    assert.deepEqual(facts.pids, { free: 380, limit: 500, source: `pids.max of ${root}/cg/machine.slice` });
    assert.deepEqual(facts.measured, [{ image: 'img:2', memoryBytes: 5000 }]);
    assert.equal(facts.memoryLimitBytes, 123);
    assert.equal(facts.pidsLimit, 7);
  });
});

describe('boxLimitsFrom', () => {
  it('reads sizes and counts, and refuses anything else by name', () => {
    assert.deepEqual(boxLimitsFrom({ HIY_BOX_MEMORY_LIMIT: '512Mi', HIY_BOX_PIDS_LIMIT: '300' }), {
      memoryLimitBytes: 512 * 1024 ** 2,
      pidsLimit: 300,
    });
    assert.deepEqual(boxLimitsFrom({}), {});
    assert.throws(
      () => boxLimitsFrom({ HIY_BOX_MEMORY_LIMIT: 'lots' }),
      /HIY_BOX_MEMORY_LIMIT must be a size/,
    );
    assert.throws(() => boxLimitsFrom({ HIY_BOX_PIDS_LIMIT: '-1' }), /HIY_BOX_PIDS_LIMIT must be a number/);
  });
});
