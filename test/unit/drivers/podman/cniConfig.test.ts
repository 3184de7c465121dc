// The CNI config of a link network loses its portmap plugin, and nothing else; other files are left alone.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  cniConfigDirs,
  dropPortMappings,
  withoutPortMappings,
} from '../../../../src/drivers/podman/cniConfig.js';

/** What `podman network create --internal` writes with the CNI backend (Podman 4.3). */
const INTERNAL = {
  cniVersion: '0.4.0',
  name: 'hiy-x_link.app.a.port.b',
  plugins: [
    { type: 'bridge', bridge: 'cni-podman9', isGateway: false, ipam: { type: 'host-local' } },
    { type: 'portmap', capabilities: { portMappings: true } },
    { type: 'firewall', backend: '' },
    { type: 'tuning' },
  ],
};

describe('link networks carry no port mappings (CNI config)', () => {
  it('drops the portmap plugin and keeps every other plugin in order', () => {
    const out = withoutPortMappings(JSON.stringify(INTERNAL));
    assert.ok(out);
    assert.deepEqual(
      JSON.parse(out).plugins.map((p: { type: string }) => p.type),
      ['bridge', 'firewall', 'tuning'],
    );
    assert.equal(JSON.parse(out).name, INTERNAL.name);
  });

  it('says there is nothing to do for a config without portmap, or for text that is not a conflist', () => {
    const done = withoutPortMappings(JSON.stringify(INTERNAL));
    assert.equal(withoutPortMappings(done!), undefined);
    assert.equal(withoutPortMappings('not json'), undefined);
    assert.equal(withoutPortMappings('{"type":"bridge"}'), undefined);
  });

  it('rewrites the file found in the first directory that has it, once; absent elsewhere', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hiy-cni-'));
    try {
      const [user, box] = [join(root, 'user'), join(root, 'box')];
      await Promise.all([mkdir(user), mkdir(box)]);
      const file = join(box, `${INTERNAL.name}.conflist`);
      await writeFile(file, JSON.stringify(INTERNAL));
      assert.equal(await dropPortMappings(INTERNAL.name, [user, box]), 'dropped');
      assert.ok(!(await readFile(file, 'utf8')).includes('portmap'));
      assert.equal(await dropPortMappings(INTERNAL.name, [user, box]), 'none');
      assert.equal(await dropPortMappings('hiy-x_link.other', [user, box]), 'absent');

      assert.deepEqual(await readdir(box), [`${INTERNAL.name}.conflist`], 'no temporary file is left behind');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("looks in the user's CNI directory (rootless Podman) before the box's", () => {
    assert.deepEqual(cniConfigDirs({ XDG_CONFIG_HOME: '/home/hiy/.config' }), [
      '/home/hiy/.config/cni/net.d',
      '/etc/cni/net.d',
    ]);
    assert.deepEqual(cniConfigDirs({ HOME: '/home/hiy' }), ['/home/hiy/.config/cni/net.d', '/etc/cni/net.d']);
  });
});
