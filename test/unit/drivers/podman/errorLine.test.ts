// Podman's error line: the `Error:` line, never a `level=warning` line printed before it (rootless Podman, issue 22).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podmanErrorLine } from '../../../../src/drivers/podman/errorLine.js';
import { PodmanCli } from '../../../../src/drivers/podman/runner.js';

const ROOTLESS_RUN_126 = [
  'time="2026-12-04T10:00:00Z" level=warning msg="Failed to load cached network config: network hiy-t1 not found in CNI cache, falling back to loading network hiy-t1 from disk"',
  'time="2026-12-04T10:00:00Z" level=warning msg="\\"/\\" is not a shared mount, this could cause issues or missing mounts with rootless containers"',
  'Error: runc: runc create failed: unable to start container process: exec: "/nope": stat /nope: no such file or directory: OCI runtime attempt to invoke a command that was not found',
  '',
].join('\n');

describe('podmanErrorLine', () => {
  it('skips the warnings rootless Podman prints first and names the error', () => {
    assert.match(podmanErrorLine(ROOTLESS_RUN_126), /^runc: runc create failed: .*\/nope/);
  });
  it('without an Error: line, the first line that is not a warning; only warnings: the first', () => {
    assert.equal(
      podmanErrorLine('time="x" level=warning msg="w"\ncannot clone: Operation not permitted\n'),
      'cannot clone: Operation not permitted',
    );
    assert.equal(podmanErrorLine('time="x" level=warning msg="w"\n'), 'time="x" level=warning msg="w"');
    assert.equal(podmanErrorLine(''), '');
    assert.equal(podmanErrorLine('Error: no such container x'), 'no such container x');
  });
});

describe('PodmanCli failures', () => {
  it('a failed podman run reports the Error: line, not the warning before it', async () => {
    // A stand-in podman that prints what rootless Podman 4.3 printed for an exit-126 run.
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'hiy-errline-'));
    try {
      const bin = join(dir, 'podman');
      await writeFile(bin, `#!/bin/sh\ncat >&2 <<'EOF'\n${ROOTLESS_RUN_126}EOF\nexit 125\n`, { mode: 0o755 });
      const podman = new PodmanCli({ binary: bin, shimBinary: '/bin/busybox' });
      await assert.rejects(podman.createVolume('v', {}), (err: Error) => {
        assert.match(err.message, /failed \(exit 125\): runc: runc create failed/);
        assert.doesNotMatch(err.message, /level=warning|CNI cache/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
